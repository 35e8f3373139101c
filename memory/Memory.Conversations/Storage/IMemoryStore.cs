using Memory.Conversations.Model;

namespace Memory.Conversations.Storage;

/// <summary>
/// Where conversation memories live. Two implementations (PostgreSQL + pgvector, and the embedded SQLite
/// file) pass one contract test suite. Every call is confined to one tenant: no method can read or change
/// another tenant's rows, whatever scope ids it is given. Every change is written to the history table in
/// the same transaction as the change itself.
/// </summary>
public interface IMemoryStore
{
    /// <summary>Short name for logs and health output ("sqlite", "postgres").</summary>
    string Name { get; }

    /// <summary>Creates or migrates the schema; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>True when the store answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>Inserts memories and their ADD history rows atomically (all or none).</summary>
    Task AddAsync(IReadOnlyList<MemoryRecord> memories, string actor, CancellationToken cancellationToken);

    Task<MemoryRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Memories of a scope, newest first; invalidated memories are left out unless asked for.</summary>
    Task<IReadOnlyList<MemoryRecord>> ListAsync(
        string tenant, MemoryScope scope, MetadataFilter filter, int limit, bool includeInvalid, CancellationToken cancellationToken);

    /// <summary>Replaces text, hash, embedding (and metadata when given); writes an UPDATE history row.</summary>
    /// <returns>The updated memory, or null when no such memory exists for this tenant.</returns>
    Task<MemoryRecord?> UpdateAsync(
        string tenant, string id, MemoryUpdate update, string actor, CancellationToken cancellationToken);

    /// <summary>Deletes one memory and writes a DELETE history row; false when it does not exist.</summary>
    Task<bool> DeleteAsync(string tenant, string id, string actor, CancellationToken cancellationToken);

    /// <summary>Deletes every memory of a scope (with history rows); returns how many went.</summary>
    Task<int> DeleteScopeAsync(string tenant, MemoryScope scope, string actor, CancellationToken cancellationToken);

    /// <summary>Deletes all memories and history of one tenant.</summary>
    Task ResetAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>History of one memory, oldest first; empty when the memory never existed for this tenant.</summary>
    Task<IReadOnlyList<MemoryHistoryEntry>> GetHistoryAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Valid memories of the scope with the same content hash (for de-duplication).</summary>
    Task<IReadOnlyList<MemoryRecord>> FindByHashAsync(
        string tenant, MemoryScope scope, string hash, CancellationToken cancellationToken);

    /// <summary>
    /// Valid memories of the scope whose content hash is any of <paramref name="hashes"/>, in one call (for
    /// de-duplicating a whole add request); the same rows as <see cref="FindByHashAsync"/> gives for each hash.
    /// </summary>
    async Task<IReadOnlyList<MemoryRecord>> FindByHashesAsync(
        string tenant, MemoryScope scope, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var found = new List<MemoryRecord>();
        foreach (var hash in hashes.Distinct(StringComparer.Ordinal))
        {
            found.AddRange(await FindByHashAsync(tenant, scope, hash, cancellationToken));
        }

        return found;
    }

    /// <summary>Nearest memories by cosine similarity (score in [-1, 1], higher is nearer).</summary>
    Task<IReadOnlyList<ScoredMemory>> SearchByVectorAsync(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>Best text matches by a BM25-style rank (higher is better; scale is the store's own).</summary>
    Task<IReadOnlyList<ScoredMemory>> SearchByTextAsync(
        string tenant, MemoryScope scope, string query, MetadataFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a batch of changes to one tenant's memories in one transaction, each with its history row
    /// (Invalidate writes an INVALIDATE row, None a NONE row). When an Update, Invalidate, Delete or None names a
    /// memory the tenant does not have (or an Invalidate names one already invalid), nothing is applied and
    /// <see cref="Errors.MemoryConflictException"/> is thrown. Adds must belong to <paramref name="tenant"/>.
    /// </summary>
    Task ApplyAsync(string tenant, IReadOnlyList<MemoryOperation> operations, string actor, CancellationToken cancellationToken);

    /// <summary>
    /// Memories of a scope as they stood at <paramref name="asOf"/>: created at or before it and not invalidated
    /// by then (invalid_at null or later), newest first. Deleted memories are gone and never returned.
    /// </summary>
    Task<IReadOnlyList<MemoryRecord>> ListValidAtAsync(
        string tenant, MemoryScope scope, MetadataFilter filter, DateTimeOffset asOf, int limit, CancellationToken cancellationToken);

    /// <summary>Number of memories of a tenant (all scopes); used by stats and benchmarks.</summary>
    Task<long> CountAsync(string tenant, CancellationToken cancellationToken);
}
