namespace Memory.KvCache.Metadata;

/// <summary>
/// Which KV blocks exist, their sizes, last use, pins and producing conversation/session, kept in the foundation
/// store (PostgreSQL table kv_blocks from migrations/0003_kv_cache.sql, or the embedded SQLite file).
/// </summary>
public interface IKvMetadataStore
{
    /// <summary>Creates the table when missing (idempotent).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or refreshes a row (sizes, producer when given, last use); pins and hits are kept.</summary>
    Task RecordAsync(KvBlockRecord record, CancellationToken cancellationToken);

    /// <summary>Counts a hit and sets last use for each key that has a row.</summary>
    Task TouchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Pins or unpins the rows of <paramref name="keys"/>; returns how many rows exist among them.</summary>
    Task<int> SetPinnedAsync(IReadOnlyList<string> keys, bool pinned, CancellationToken cancellationToken);

    /// <summary>Keys of every pinned block.</summary>
    Task<IReadOnlyList<string>> PinnedKeysAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the rows of a model and/or a conversation (at least one is required); returns their keys.</summary>
    Task<IReadOnlyList<string>> DeleteAsync(string? modelId, string? conversationId, CancellationToken cancellationToken);

    Task<KvMetadataSummary> SummaryAsync(CancellationToken cancellationToken);
}
