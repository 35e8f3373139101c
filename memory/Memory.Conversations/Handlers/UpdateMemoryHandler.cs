using Mediator;
using Memory.Conversations.Embeddings;
using Memory.Conversations.Ingestion;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Handlers;

/// <summary>
/// Replaces a memory's text: re-hashed and re-embedded (with its role, as at ingestion) before the store is
/// touched, so a failing embedder leaves the old memory intact. Null when the tenant has no such memory.
/// </summary>
public sealed class UpdateMemoryHandler : IRequestHandler<UpdateMemoryRequest, MemoryRecord?>
{
    private readonly IMemoryStore _store;
    private readonly MemoryEmbedder _embedder;
    private readonly ConversationOptions _options;

    public UpdateMemoryHandler(IMemoryStore store, MemoryEmbedder embedder, IOptions<ConversationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _embedder = embedder;
        _options = options.Value;
    }

    public async ValueTask<MemoryRecord?> Handle(UpdateMemoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.MemoryId(request.Id);
        RequestValidation.Text(request.Text, "text", _options.MaxTextLength);

        var current = await _store.GetAsync(request.Tenant, request.Id, cancellationToken);
        if (current is null)
        {
            return null;
        }

        var embedding = await _embedder.EmbedAsync(MemoryIndexText.For(current.Role, request.Text, _options.IndexRole), cancellationToken);
        var update = new MemoryUpdate(request.Text, ContentHash.Compute(request.Text), embedding, request.Metadata);
        return await _store.UpdateAsync(request.Tenant, request.Id, update, request.Actor, cancellationToken);
    }
}
