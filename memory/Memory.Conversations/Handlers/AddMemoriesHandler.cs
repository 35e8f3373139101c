using System.Text.Json;
using Mediator;
using Memory.Conversations.Embeddings;
using Memory.Conversations.Errors;
using Memory.Conversations.Ingestion;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Handlers;

/// <summary>
/// infer=false: every message becomes one memory verbatim (role, provenance, metadata kept); a message whose
/// normalised text and role are already stored in exactly this scope is answered as NONE and not stored again.
/// Everything is validated and embedded before the single atomic write, so a failure stores nothing.
/// infer=true: refused with <see cref="InferenceUnavailableException"/> until an extraction pipeline exists.
/// </summary>
public sealed class AddMemoriesHandler : IRequestHandler<AddMemoriesRequest, AddMemoriesResult>
{
    private readonly IMemoryStore _store;
    private readonly MemoryEmbedder _embedder;
    private readonly ConversationOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<AddMemoriesHandler> _logger;

    public AddMemoriesHandler(
        IMemoryStore store, MemoryEmbedder embedder, IOptions<ConversationOptions> options, TimeProvider clock,
        ILogger<AddMemoriesHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _embedder = embedder;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
    }

    public async ValueTask<AddMemoriesResult> Handle(AddMemoriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        if (request.Infer)
        {
            throw new InferenceUnavailableException();
        }

        var messages = request.Messages;
        var vectors = await EmbedWithContextAsync(messages, cancellationToken);
        var now = _clock.GetUtcNow();

        var changes = new MemoryChange[messages.Count];
        var toStore = new List<MemoryRecord>();
        var storedThisRequest = new Dictionary<(string Hash, string Role), MemoryRecord>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var role = message.Role.Trim();
            var hash = ContentHash.Compute(message.Content);
            var existing = storedThisRequest.GetValueOrDefault((hash, role))
                ?? await FindStoredAsync(request.Tenant, request.Scope, hash, role, cancellationToken);
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
                Metadata = MergeMetadata(request.Metadata, message.Metadata),
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

    private void Validate(AddMemoriesRequest request)
    {
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.Scope(request.Scope);
        if (request.Messages is null || request.Messages.Count == 0)
        {
            throw new MemoryValidationException("messages", "messages must contain at least one message.");
        }

        if (request.Messages.Count > _options.MaxMessagesPerRequest)
        {
            throw new MemoryValidationException(
                "messages", $"messages holds {request.Messages.Count} messages; the limit is {_options.MaxMessagesPerRequest}.");
        }

        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (message is null)
            {
                throw new MemoryValidationException($"messages[{i}]", $"messages[{i}] is null.");
            }

            RequestValidation.Text(message.Content, $"messages[{i}].content", _options.MaxTextLength);
            if (string.IsNullOrWhiteSpace(message.Role))
            {
                throw new MemoryValidationException($"messages[{i}].role", $"messages[{i}].role must not be empty.");
            }

            if (message.Role.Length > RequestValidation.MaxIdLength)
            {
                throw new MemoryValidationException($"messages[{i}].role", $"messages[{i}].role is at most {RequestValidation.MaxIdLength} characters.");
            }

            if (message.MessageId is { Length: > RequestValidation.MaxIdLength })
            {
                throw new MemoryValidationException($"messages[{i}].id", $"messages[{i}].id is at most {RequestValidation.MaxIdLength} characters.");
            }
        }
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

    private async Task<MemoryRecord?> FindStoredAsync(string tenant, MemoryScope scope, string hash, string role, CancellationToken cancellationToken)
    {
        var sameHash = await _store.FindByHashAsync(tenant, scope, hash, cancellationToken);
        return sameHash.FirstOrDefault(m => m.Scope == scope && string.Equals(m.Role, role, StringComparison.Ordinal));
    }

    private static Dictionary<string, JsonElement> MergeMetadata(
        IReadOnlyDictionary<string, JsonElement>? requestMetadata, IReadOnlyDictionary<string, JsonElement>? messageMetadata)
    {
        var merged = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var source in new[] { requestMetadata, messageMetadata })
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
