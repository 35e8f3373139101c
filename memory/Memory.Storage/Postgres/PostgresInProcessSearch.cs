using Memory.Conversations.Model;
using Memory.Storage.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Memory.Storage.Postgres;

/// <summary>
/// <see cref="PostgresSearchMode.InProcess"/>: search through the same in-process indexes as the embedded store
/// (quantised vectors, BM25 postings; see <see cref="MemoryIndexes"/>), loaded at start-up and kept in step with the
/// database by <see cref="PostgresChangeFeed"/>, so several servers may share one database. PostgreSQL re-ranks the
/// vector candidates by their exact cosine and re-checks tenant, scope, validity and metadata of everything returned.
/// </summary>
internal sealed class PostgresInProcessSearch : IPostgresSearchBackend
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly MemoryIndexes _indexes;
    private readonly PostgresChangeFeed _changes;

    public PostgresInProcessSearch(NpgsqlDataSource dataSource, int dimensions, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _indexes = new MemoryIndexes(dimensions);
        _changes = new PostgresChangeFeed(_indexes);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Left by a server in Database mode (or made by hand): harmless to results, costly to every write here.
        var leftOver = await PostgresSearchIndexes.FindAsync(_dataSource, cancellationToken);
        if (leftOver.Count > 0)
        {
            _logger.LogWarning(
                "PostgreSQL search is {Mode} but memories has database search indexes {Indexes} ({Bytes} bytes): every write still " +
                "maintains them (an HNSW insert was ~97% of a write: 114-169 memories/s with it, ~1,700-1,900/s without, docs/benchmarks.md). " +
                "Drop them (DROP INDEX) unless a server uses Storage:PostgresSearch=Database on this database",
                PostgresSearchMode.InProcess,
                string.Join(", ", leftOver.Select(index => $"{index.Name} ({index.Method})")),
                leftOver.Sum(index => index.Bytes));
        }

        var loaded = await _changes.LoadAsync(_dataSource, cancellationToken);
        _logger.LogInformation("PostgreSQL memory store indexed {Count} memories in process", loaded);
    }

    public Task AfterWriteAsync(IEnumerable<string> tenants, int rows, CancellationToken cancellationToken) =>
        _changes.CatchUpAsync(_dataSource, cancellationToken);

    public async Task AfterResetAsync(string tenant, CancellationToken cancellationToken)
    {
        await _indexes.ForgetTenantAsync(tenant, cancellationToken);
        await _changes.CatchUpAsync(_dataSource, cancellationToken);
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchByVectorAsync(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        await _changes.CatchUpAsync(_dataSource, cancellationToken);

        // The index scan picks candidates (twice the limit covers its quantisation error, as in the embedded store);
        // the exact cosine on the stored floats decides. A metadata filter may reject candidates: ask for more, widen.
        var candidates = filter.IsEmpty ? (limit * 2) + 16 : (limit * 8) + 64;
        while (true)
        {
            var hits = _indexes.Vectors.Search(tenant, scope, query.Span, candidates);
            if (hits.Count == 0)
            {
                return [];
            }

            await using var command = _dataSource.CreateCommand();
            var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope) + PostgresConditions.Metadata(command.Parameters, filter);
            command.CommandText = $"""
                SELECT {PostgresRecords.Columns}, embedding <=> @query AS distance FROM memories
                WHERE seq = ANY(@rows) AND {where} AND invalid_at IS NULL
                ORDER BY distance, seq DESC LIMIT @limit
                """;
            command.Parameters.Add(new NpgsqlParameter { ParameterName = "query", Value = new Vector(query) });
            command.Parameters.AddWithValue("rows", NpgsqlDbType.Array | NpgsqlDbType.Bigint, hits.Select(hit => hit.Row).ToArray());
            command.Parameters.AddWithValue("limit", NpgsqlDbType.Integer, limit);
            var results = new List<ScoredMemory>(limit);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    results.Add(new ScoredMemory(PostgresRecords.Read(reader), 1.0 - reader.GetDouble(PostgresRecords.ColumnCount)));
                }
            }

            if (results.Count >= limit || hits.Count < candidates)
            {
                return results;
            }

            candidates *= 4;
        }
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchByTextAsync(
        string tenant, MemoryScope scope, IReadOnlyList<string> words, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        var terms = IndexedText.QueryTerms(words);
        await _changes.CatchUpAsync(_dataSource, cancellationToken);

        // A metadata filter may reject the best-ranked rows: then rank more, and widen until enough pass.
        var candidates = filter.IsEmpty ? limit : (limit * 8) + 64;
        while (true)
        {
            var hits = _indexes.Texts.Search(tenant, scope, terms, candidates);
            if (hits.Count == 0)
            {
                return [];
            }

            // The database is the truth: a row must still be valid, in the scope and pass the filter.
            await using var command = _dataSource.CreateCommand();
            var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope) + PostgresConditions.Metadata(command.Parameters, filter);
            command.CommandText = $"SELECT {PostgresRecords.Columns}, seq FROM memories WHERE seq = ANY(@rows) AND {where} AND invalid_at IS NULL";
            command.Parameters.AddWithValue("rows", NpgsqlDbType.Array | NpgsqlDbType.Bigint, hits.Select(hit => hit.Row).ToArray());
            var records = new Dictionary<long, MemoryRecord>(hits.Count);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    records[reader.GetInt64(PostgresRecords.ColumnCount)] = PostgresRecords.Read(reader);
                }
            }

            if (records.Count >= limit || hits.Count < candidates)
            {
                return hits
                    .Where(hit => records.ContainsKey(hit.Row))
                    .Take(limit)
                    .Select(hit => new ScoredMemory(records[hit.Row], hit.Score))
                    .ToList();
            }

            candidates *= 4;
        }
    }

    public ValueTask DisposeAsync()
    {
        _indexes.Dispose();
        return ValueTask.CompletedTask;
    }
}
