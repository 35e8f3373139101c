using System.Text.Json;
using Memory.Conversations.Embeddings;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Ingestion;

/// <summary>
/// Stores every message of an add request as one memory verbatim (role, provenance, metadata kept); a message
/// whose normalised text and role are already stored in exactly this scope is answered as NONE and not stored
/// again. Everything is embedded before the single atomic write, so a failure stores nothing. Used for
/// infer=false, and for infer=true when extraction failed (then with extraction metadata), so no message is lost.
/// </summary>
public sealed class VerbatimIngestion
{
    private readonly IMemoryStore _store;
    private readonly MemoryEmbedder _embedder;
    private readonly ConversationOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<VerbatimIngestion> _logger;

    public VerbatimIngestion(
        IMemoryStore store, MemoryEmbedder embedder, IOptions<ConversationOptions> options, TimeProvider clock,
        ILogger<VerbatimIngestion> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _embedder = embedder;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
    }

    /// <param name="request">A validated add request.</param>
    /// <param name="extraMetadata">Written over the request's and each message's metadata (e.g. extraction: failed).</param>
    /// <param name="cancellationToken">Cancels before the write.</param>
    public async Task<AddMemoriesResult> StoreAsync(
        AddMemoriesRequest request, IReadOnlyDictionary<string, JsonElement>? extraMetadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages;
        var vectors = await EmbedWithContextAsync(messages, cancellationToken);
        var now = _clock.GetUtcNow();

        var hashes = new string[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            hashes[i] = ContentHash.Compute(messages[i].Content);
        }

        // One lookup for the whole request; the oldest memory of exactly this scope and role answers each message.
        var storedThisRequest = new Dictionary<(string Hash, string Role), MemoryRecord>();
        foreach (var stored in await _store.FindByHashesAsync(request.Tenant, request.Scope, hashes, cancellationToken))
        {
            if (stored.Scope == request.Scope && stored.Role is { } storedRole)
            {
                storedThisRequest.TryAdd((stored.Hash, storedRole), stored);
            }
        }

        var changes = new MemoryChange[messages.Count];
        var toStore = new List<MemoryRecord>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var role = message.Role.Trim();
            var hash = hashes[i];
            var existing = storedThisRequest.GetValueOrDefault((hash, role));
            if (existing is not null)
            {
                changes[i] = new MemoryChange(existing.Id, existing.Text, MemoryEvent.None);
                continue;
            }

            var record = new MemoryRecord
            {
                Id = Guid.CreateVersion7(now).ToString(),
                Tenant = request.Tenant,
                Scope = request.Scope,
                Text = message.Content,
                Hash = hash,
                Embedding = vectors[i],
                Metadata = MergeMetadata(request.Metadata, message.Metadata, extraMetadata),
                SourceMessageIds = [string.IsNullOrWhiteSpace(message.MessageId) ? Guid.CreateVersion7(now).ToString() : message.MessageId.Trim()],
                Role = role,
                CreatedAt = message.Timestamp ?? now,
            };
            toStore.Add(record);
            storedThisRequest[(hash, role)] = record;
            changes[i] = new MemoryChange(record.Id, record.Text, MemoryEvent.Add);
        }

        if (toStore.Count > 0)
        {
            await _store.AddAsync(toStore, request.Actor, cancellationToken);
        }

        _logger.LogDebug(
            "Stored {Added} of {Messages} messages verbatim for tenant {Tenant} ({Duplicates} already present)",
            toStore.Count, messages.Count, request.Tenant, messages.Count - toStore.Count);
        return new AddMemoriesResult(changes);
    }

    /// <summary>
    /// One embedding per message; with <see cref="ConversationOptions.IndexPreviousMessage"/> each is blended
    /// with the previous message's, so an answer is also found by the words of the question it answers.
    /// </summary>
    private async Task<ReadOnlyMemory<float>[]> EmbedWithContextAsync(IReadOnlyList<IncomingMessage> messages, CancellationToken cancellationToken)
    {
        var texts = messages.Select(m => MemoryIndexText.For(m.Role, m.Content, _options.IndexRole)).ToList();
        var own = await _embedder.EmbedAsync(texts, cancellationToken);
        var result = new ReadOnlyMemory<float>[own.Count];
        var previousWeight = _options.IndexPreviousMessage ? (float)_options.PreviousMessageWeight : 0f;
        var nextWeight = _options.IndexPreviousMessage ? (float)_options.NextMessageWeight : 0f;
        for (var i = 0; i < own.Count; i++)
        {
            var previous = i > 0 && previousWeight > 0 ? own[i - 1] : ReadOnlyMemory<float>.Empty;
            var next = i + 1 < own.Count && nextWeight > 0 ? own[i + 1] : ReadOnlyMemory<float>.Empty;
            result[i] = previous.IsEmpty && next.IsEmpty
                ? own[i]
                : Blend(own[i].Span, previous.Span, previousWeight, next.Span, nextWeight);
        }

        return result;
    }

    private static float[] Blend(ReadOnlySpan<float> self, ReadOnlySpan<float> previous, float previousWeight, ReadOnlySpan<float> next, float nextWeight)
    {
        var blended = self.ToArray();
        if (!previous.IsEmpty)
        {
            for (var i = 0; i < blended.Length; i++)
            {
                blended[i] += previousWeight * previous[i];
            }
        }

        if (!next.IsEmpty)
        {
            for (var i = 0; i < blended.Length; i++)
            {
                blended[i] += nextWeight * next[i];
            }
        }

        double sumOfSquares = 0;
        foreach (var value in blended)
        {
            sumOfSquares += (double)value * value;
        }

        var norm = Math.Sqrt(sumOfSquares);
        if (norm == 0)
        {
            // Exact opposites cancel; keep the message's own vector rather than write zeros.
            return self.ToArray();
        }

        for (var i = 0; i < blended.Length; i++)
        {
            blended[i] = (float)(blended[i] / norm);
        }

        return blended;
    }

    private static Dictionary<string, JsonElement> MergeMetadata(
        IReadOnlyDictionary<string, JsonElement>? requestMetadata, IReadOnlyDictionary<string, JsonElement>? messageMetadata,
        IReadOnlyDictionary<string, JsonElement>? extraMetadata)
    {
        var merged = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var source in new[] { requestMetadata, messageMetadata, extraMetadata })
        {
            if (source is null)
            {
                continue;
            }

            foreach (var (key, value) in source)
            {
                merged[key] = value.Clone();
            }
        }

        return merged;
    }
}
