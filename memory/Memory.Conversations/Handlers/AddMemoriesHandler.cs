using Mediator;
using Memory.Conversations.Extraction;
using Memory.Conversations.Ingestion;
using Memory.Conversations.Requests;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Handlers;

/// <summary>
/// infer=false: every message is stored verbatim (<see cref="VerbatimIngestion"/>). infer=true: facts are
/// extracted and consolidated by the chat model (<see cref="ExtractionPipeline"/>), which refuses with
/// <see cref="Errors.InferenceUnavailableException"/> while none is configured. The request is validated first,
/// so bad input reaches neither the embedder nor the model.
/// </summary>
public sealed class AddMemoriesHandler : IRequestHandler<AddMemoriesRequest, AddMemoriesResult>
{
    private readonly VerbatimIngestion _verbatim;
    private readonly ExtractionPipeline _extraction;
    private readonly ConversationOptions _options;

    public AddMemoriesHandler(VerbatimIngestion verbatim, ExtractionPipeline extraction, IOptions<ConversationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _verbatim = verbatim;
        _extraction = extraction;
        _options = options.Value;
    }

    public async ValueTask<AddMemoriesResult> Handle(AddMemoriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        AddRequestValidation.Validate(request, _options);
        return request.Infer
            ? await _extraction.RunAsync(request, cancellationToken)
            : await _verbatim.StoreAsync(request, extraMetadata: null, cancellationToken);
    }
}
