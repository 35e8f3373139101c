namespace Memory.KvCache.Metadata;

/// <summary>
/// Which KV blocks exist, their sizes, last use, pins and producing tenant/conversation/session, kept in the foundation
/// store (PostgreSQL tables kv_blocks and kv_pins from migrations/0003 and 0005, or the embedded SQLite file).
/// Blocks are shared by content; deletes and pins are the tenant's own.
/// </summary>
public interface IKvMetadataStore
{
    /// <summary>Creates the tables when missing (idempotent).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts or refreshes a row (sizes, last use; the latest producer owns the row); hits are kept, and the row reads
    /// as pinned when some tenant pinned its key, even before the block existed.
    /// </summary>
    Task RecordAsync(KvBlockRecord record, CancellationToken cancellationToken);

    /// <summary>Counts a hit and sets last use for each key that has a row.</summary>
    Task TouchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>
    /// Adds or removes <paramref name="tenant"/>'s pins on <paramref name="keys"/> (pins of other tenants stay); returns
    /// how many of the keys have a stored block.
    /// </summary>
    Task<int> SetPinnedAsync(string tenant, IReadOnlyList<string> keys, bool pinned, CancellationToken cancellationToken);

    /// <summary>Keys that some tenant pins.</summary>
    Task<IReadOnlyList<string>> PinnedKeysAsync(CancellationToken cancellationToken);

    /// <summary>Of <paramref name="keys"/>, those some tenant still pins.</summary>
    Task<IReadOnlyList<string>> StillPinnedAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the rows of a model and/or a conversation (at least one is required) produced by
    /// <paramref name="tenant"/> (null: by any tenant, for operators), except blocks another tenant pins; returns their keys.
    /// </summary>
    Task<IReadOnlyList<string>> DeleteAsync(string? tenant, string? modelId, string? conversationId, CancellationToken cancellationToken);

    Task<KvMetadataSummary> SummaryAsync(CancellationToken cancellationToken);
}
