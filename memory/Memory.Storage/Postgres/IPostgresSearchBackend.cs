using Memory.Conversations.Model;

namespace Memory.Storage.Postgres;

/// <summary>
/// How <see cref="PostgresMemoryStore"/> answers its two searches (<see cref="PostgresSearchMode"/>). Either way the
/// database decides what is returned: every result is re-read with its tenant, scope, validity and metadata checked
/// in SQL, and the scores are on the same scales (exact cosine; BM25), so the hybrid fusion above treats both alike.
/// </summary>
internal interface IPostgresSearchBackend : IAsyncDisposable
{
    /// <summary>Runs once per store, after the migrations and the schema check.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>This store committed a write of about <paramref name="rows"/> rows to these tenants.</summary>
    Task AfterWriteAsync(IEnumerable<string> tenants, int rows, CancellationToken cancellationToken);

    /// <summary>This store deleted every row of a tenant.</summary>
    Task AfterResetAsync(string tenant, CancellationToken cancellationToken);

    Task<IReadOnlyList<ScoredMemory>> SearchByVectorAsync(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, CancellationToken cancellationToken);

    /// <param name="words">The query's plain words (<see cref="TextQueryTerms"/>), never empty.</param>
    Task<IReadOnlyList<ScoredMemory>> SearchByTextAsync(
        string tenant, MemoryScope scope, IReadOnlyList<string> words, MetadataFilter filter, int limit, CancellationToken cancellationToken);
}
