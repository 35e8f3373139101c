using Memory.Conversations.Model;
using Memory.Conversations.Storage;

namespace Memory.Storage;

/// <summary>
/// Checks every input a store is given before it touches the database, so that bad input fails with a clear
/// <see cref="ArgumentException"/> and nothing already stored is changed. Both stores apply the same rules.
/// </summary>
internal static class StoreArguments
{
    /// <summary>Beyond this a text is not a memory but a document; PostgreSQL's tsvector also has a 1 MB ceiling.</summary>
    public const int MaxTextLength = 100_000;

    public const int MaxListLimit = 100_000;

    public const int MaxSearchLimit = 1_000;

    public static void Tenant(string tenant)
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            throw new ArgumentException("A tenant is required.", nameof(tenant));
        }
    }

    public static void Id(string id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("A memory id is required.", nameof(id));
        }
    }

    public static void Scope(MemoryScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.IsEmpty)
        {
            throw new ArgumentException("The scope must name at least one of user_id, agent_id or run_id.", nameof(scope));
        }
    }

    /// <summary>Most content hashes one <see cref="IMemoryStore.FindByHashesAsync"/> call may ask for.</summary>
    public const int MaxHashes = 10_000;

    public static void Hashes(IReadOnlyCollection<string> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count > MaxHashes)
        {
            throw new ArgumentOutOfRangeException(nameof(hashes), hashes.Count, $"At most {MaxHashes} hashes can be looked up at once.");
        }

        foreach (var hash in hashes)
        {
            if (string.IsNullOrEmpty(hash))
            {
                throw new ArgumentException("A content hash cannot be empty.", nameof(hashes));
            }
        }
    }

    public static void Limit(int limit, int max)
    {
        if (limit < 1 || limit > max)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"The limit must be between 1 and {max}.");
        }
    }

    public static void Text(string text, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("A memory's text cannot be empty.", parameterName);
        }

        if (text.Length > MaxTextLength)
        {
            throw new ArgumentException($"A memory's text is limited to {MaxTextLength} characters; this one has {text.Length}.", parameterName);
        }

        // PostgreSQL text cannot hold NUL, and an unpaired surrogate cannot be encoded as UTF-8 by either store.
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                throw new ArgumentException("A memory's text cannot contain NUL characters.", parameterName);
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException("A memory's text contains an unpaired UTF-16 surrogate.", parameterName);
            }
        }
    }

    /// <summary>Rejects vectors of the wrong length and vectors no similarity can be computed for.</summary>
    public static void Embedding(ReadOnlySpan<float> embedding, int dimensions, string parameterName)
    {
        if (embedding.Length != dimensions)
        {
            throw new ArgumentException(
                $"The embedding has {embedding.Length} dimensions but the store holds {dimensions}-dimensional vectors (Storage:EmbeddingDimensions).",
                parameterName);
        }

        var anyNonZero = false;
        for (var i = 0; i < embedding.Length; i++)
        {
            var value = embedding[i];
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"The embedding holds a non-finite value ({value}) at index {i}.", parameterName);
            }

            anyNonZero |= value != 0f;
        }

        if (!anyNonZero)
        {
            throw new ArgumentException("The embedding is all zeros; cosine similarity is undefined for it.", parameterName);
        }
    }

    public static void Record(MemoryRecord memory, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(memory);
        Tenant(memory.Tenant);
        Id(memory.Id);
        Scope(memory.Scope);
        Text(memory.Text, nameof(memory));
        if (string.IsNullOrEmpty(memory.Hash))
        {
            throw new ArgumentException($"Memory '{memory.Id}' has no content hash.", nameof(memory));
        }

        Embedding(memory.Embedding.Span, dimensions, nameof(memory));
        ArgumentNullException.ThrowIfNull(memory.Metadata);
        ArgumentNullException.ThrowIfNull(memory.SourceMessageIds);
    }

    public static void Batch(IReadOnlyList<MemoryRecord> memories, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(memories);
        var seen = new HashSet<(string Tenant, string Id)>();
        foreach (var memory in memories)
        {
            Record(memory, dimensions);
            if (!seen.Add((memory.Tenant, memory.Id)))
            {
                throw new ArgumentException($"Memory id '{memory.Id}' appears twice in one batch.", nameof(memories));
            }
        }
    }

    public static void Update(MemoryUpdate update, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(update);
        Text(update.Text, nameof(update));
        if (string.IsNullOrEmpty(update.Hash))
        {
            throw new ArgumentException("An update needs the new text's content hash.", nameof(update));
        }

        Embedding(update.Embedding.Span, dimensions, nameof(update));
    }

    public static void Filter(MetadataFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(filter.Conditions);
    }

    /// <summary>Checks a batch for <see cref="IMemoryStore.ApplyAsync"/> before anything is written.</summary>
    public static void Operations(string tenant, IReadOnlyList<MemoryOperation> operations, int dimensions)
    {
        Tenant(tenant);
        ArgumentNullException.ThrowIfNull(operations);
        var added = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            ArgumentNullException.ThrowIfNull(operation, nameof(operations));
            Id(operation.Id);
            ArgumentNullException.ThrowIfNull(operation.SourceMessageIds, nameof(operations));
            switch (operation.Event)
            {
                case MemoryEvent.Add:
                    Record(operation.Memory!, dimensions);
                    if (operation.Memory!.Tenant != tenant)
                    {
                        throw new ArgumentException($"Memory '{operation.Id}' belongs to another tenant than the batch.", nameof(operations));
                    }

                    if (!added.Add(operation.Id))
                    {
                        throw new ArgumentException($"Memory id '{operation.Id}' is added twice in one batch.", nameof(operations));
                    }

                    break;
                case MemoryEvent.Update:
                    Update(operation.Update!, dimensions);
                    break;
                case MemoryEvent.Invalidate:
                    if (operation.InvalidAt is null)
                    {
                        throw new ArgumentException($"Invalidating memory '{operation.Id}' needs a time.", nameof(operations));
                    }

                    break;
                case MemoryEvent.Delete:
                case MemoryEvent.None:
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(operations), operation.Event, "Unknown memory event.");
            }
        }
    }
}
