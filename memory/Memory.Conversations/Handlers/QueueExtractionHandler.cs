using Mediator;
using Memory.Conversations.Errors;
using Memory.Conversations.Extraction;
using Memory.Conversations.Extraction.Background;
using Memory.Conversations.Requests;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Handlers;

/// <summary>Validates an async_mode add (400s stay synchronous), refuses when no chat model is configured, then queues it.</summary>
public sealed class QueueExtractionHandler : IRequestHandler<QueueExtractionRequest, ExtractionJob>
{
    private readonly ExtractionQueue _queue;
    private readonly ExtractionChat _chat;
    private readonly ConversationOptions _options;

    public QueueExtractionHandler(ExtractionQueue queue, ExtractionChat chat, IOptions<ConversationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _queue = queue;
        _chat = chat;
        _options = options.Value;
    }

    public ValueTask<ExtractionJob> Handle(QueueExtractionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        AddRequestValidation.Validate(request.Add, _options);
        if (!request.Add.Infer)
        {
            throw new MemoryValidationException("async_mode", "async_mode applies to infer=true only; infer=false stores messages at once.");
        }

        if (!_chat.IsConfigured)
        {
            throw new InferenceUnavailableException(ExtractionPipeline.NotConfigured);
        }

        return ValueTask.FromResult(_queue.Enqueue(request.Add));
    }
}
