using Mediator;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Retrieval;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Handlers;

/// <summary>Validates a search and runs it through the <see cref="HybridRetriever"/>.</summary>
public sealed class SearchMemoriesHandler : IRequestHandler<SearchMemoriesRequest, IReadOnlyList<ScoredMemory>>
{
    private readonly HybridRetriever _retriever;
    private readonly ConversationOptions _options;

    public SearchMemoriesHandler(HybridRetriever retriever, IOptions<ConversationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _retriever = retriever;
        _options = options.Value;
    }

    public async ValueTask<IReadOnlyList<ScoredMemory>> Handle(SearchMemoriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.Scope(request.Scope);
        RequestValidation.Text(request.Query, "query", _options.MaxQueryLength);
        RequestValidation.Filter(request.Filter);
        RequestValidation.TopK(request.TopK);
        RequestValidation.Threshold(request.Threshold);
        if (request.AsOf is { } asOf)
        {
            return await _retriever.SearchValidAtAsync(
                request.Tenant, request.Scope, request.Query, request.Filter, request.TopK, request.Threshold, asOf, cancellationToken);
        }

        return await _retriever.SearchAsync(
            request.Tenant, request.Scope, request.Query, request.Filter, request.TopK, request.Threshold, cancellationToken);
    }
}
