using System.Globalization;
using Memory.Conversations.Model;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Memory.Storage.Postgres;

/// <summary>
/// <see cref="PostgresSearchMode.Database"/>: both searches run inside PostgreSQL, through the HNSW and GIN indexes of
/// <see cref="PostgresSearchIndexes"/> (created at start-up when missing). Nothing but a count per tenant is kept in
/// process, so a server's memory does not grow with the memories it serves; the price is the HNSW insert on every write.
/// Tenant, scope, validity and metadata are conditions of the same statements that search.
/// </summary>
internal sealed class PostgresDatabaseSearch : IPostgresSearchBackend
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _dimensions;
    private readonly PostgresIndexOptions _options;
    private readonly ILogger _logger;
    private readonly TenantSizeCache _sizes = new(TimeProvider.System);
    private readonly PostgresDatabaseTextSearch _text;
    private readonly PostgresStatisticsRefresh _statistics;

    public PostgresDatabaseSearch(NpgsqlDataSource dataSource, int dimensions, PostgresIndexOptions options, ILogger logger)
    {
        _dataSource = dataSource;
        _dimensions = dimensions;
        _options = options;
        _logger = logger;
        _text = new PostgresDatabaseTextSearch(dataSource, _sizes, options.TextSearchConfig);
        _statistics = new PostgresStatisticsRefresh(dataSource, logger);
    }

    /// <summary>The text half (internal for plan tests).</summary>
    internal PostgresDatabaseTextSearch Text => _text;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (await PostgresSearchIndexes.EnsureAsync(_dataSource, _dimensions, _options, _logger, cancellationToken))
        {
            await _statistics.AnalyzeNowAsync(cancellationToken);
        }
    }

    public Task AfterWriteAsync(IEnumerable<string> tenants, int rows, CancellationToken cancellationToken)
    {
        foreach (var tenant in tenants)
        {
            _sizes.Forget(tenant);
        }

        _statistics.Written(rows);
        return Task.CompletedTask;
    }

    public Task AfterResetAsync(string tenant, CancellationToken cancellationToken)
    {
        _sizes.Forget(tenant);
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchByVectorAsync(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        var results = await SearchByVectorCoreAsync(tenant, scope, query, filter, limit, exact: false, cancellationToken);
        if (results.Count < limit)
        {
            // The graph walk gave up (hnsw.max_scan_tuples) before enough rows passed the conditions: they are then
            // selective enough that an exact scan over the rows they leave is cheap, and it is complete.
            results = await SearchByVectorCoreAsync(tenant, scope, query, filter, limit, exact: true, cancellationToken);
        }

        return results;
    }

    public Task<IReadOnlyList<ScoredMemory>> SearchByTextAsync(
        string tenant, MemoryScope scope, IReadOnlyList<string> words, MetadataFilter filter, int limit, CancellationToken cancellationToken) =>
        _text.SearchAsync(tenant, scope, words, filter, limit, cancellationToken);

    public ValueTask DisposeAsync() => _statistics.DisposeAsync();

    /// <summary>
    /// The vector search statement (internal so a test can check that its plan uses the HNSW index). The graph is walked
    /// for twice the limit + 16 candidates, the in-process index's count, by the half-precision distance the index orders
    /// by; the exact float32 cosine then picks the limit. The exact variant orders by the float32 distance, which the index
    /// cannot serve, so it scans the rows that pass the conditions.
    /// </summary>
    internal NpgsqlBatchCommand VectorSearchCommand(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, bool exact)
    {
        var command = new NpgsqlBatchCommand();
        var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope) + PostgresConditions.Metadata(command.Parameters, filter);
        var half = $"halfvec({_dimensions.ToString(CultureInfo.InvariantCulture)})";
        var orderBy = exact ? "embedding <=> @query" : $"{PostgresSearchIndexes.HalfVector(_dimensions)} <=> @query::{half}";
        command.CommandText = $"""
            WITH candidates AS MATERIALIZED (
                SELECT {PostgresRecords.Columns}, embedding <=> @query AS distance, seq
                FROM memories
                WHERE {where} AND invalid_at IS NULL
                ORDER BY {orderBy}
                LIMIT @candidates
            )
            SELECT * FROM candidates ORDER BY distance, seq DESC LIMIT @limit
            """;
        command.Parameters.Add(new NpgsqlParameter { ParameterName = "query", Value = new Vector(query) });
        command.Parameters.AddWithValue("candidates", NpgsqlDbType.Integer, exact ? limit : Candidates(limit));
        command.Parameters.AddWithValue("limit", NpgsqlDbType.Integer, limit);
        return command;
    }

    /// <summary>The settings the graph walk runs under, for the transaction of one search.</summary>
    internal NpgsqlBatchCommand SearchSettingsCommand(int limit)
    {
        // relaxed_order: pgvector keeps walking the graph until enough rows pass the WHERE clause (up to
        // hnsw.max_scan_tuples); the outer ORDER BY restores the exact order. A candidate list shorter than the rows
        // asked for cannot fill them, so ef_search is at least that.
        var efSearch = Math.Clamp(Math.Max(_options.HnswEfSearch, Candidates(limit)), 1, PostgresIndexOptions.MaxHnswEf);
        var command = new NpgsqlBatchCommand(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', @ef_search, true)");
        command.Parameters.AddWithValue("ef_search", NpgsqlDbType.Text, efSearch.ToString(CultureInfo.InvariantCulture));
        return command;
    }

    private static int Candidates(int limit) => (limit * 2) + 16;

    private async Task<IReadOnlyList<ScoredMemory>> SearchByVectorCoreAsync(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, bool exact, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(SearchSettingsCommand(limit));
        batch.BatchCommands.Add(VectorSearchCommand(tenant, scope, query, filter, limit, exact));

        var results = new List<ScoredMemory>(limit);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                results.Add(new ScoredMemory(PostgresRecords.Read(reader), 1.0 - reader.GetDouble(PostgresRecords.ColumnCount)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return results;
    }
}
