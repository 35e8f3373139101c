using Microsoft.Extensions.Logging;
using Npgsql;

namespace Memory.Storage.Postgres;

/// <summary>
/// Runs ANALYZE on memories in the background once this store has written a tenth of the table (at least
/// <see cref="MinRows"/> rows) since the last one. The Database search needs the planner to choose between the GIN and
/// HNSW indexes and the scope's b-tree index from statistics; after a bulk load into a fresh table those said "a few
/// rows" until autovacuum's next round (up to a minute: autovacuum_naptime), and the text search then computed
/// to_tsvector for every row of the scope (47–90 ms per word at 2,000 memories on the dev VM, instead of about 1 ms).
/// ANALYZE reads a fixed sample (30,000 rows by default) whatever the table's size, so this costs little per row written.
/// </summary>
internal sealed class PostgresStatisticsRefresh : IAsyncDisposable
{
    public const int MinRows = 1_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private long _writtenSinceAnalyze;
    private long _rowsAtAnalyze;
    private Task _running = Task.CompletedTask;

    public PostgresStatisticsRefresh(NpgsqlDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
    }

    /// <summary>Counts written rows; starts one ANALYZE when enough have changed and none is running.</summary>
    public void Written(int rows)
    {
        lock (_lock)
        {
            _writtenSinceAnalyze += rows;
            if (_writtenSinceAnalyze < Math.Max(MinRows, _rowsAtAnalyze / 10) || !_running.IsCompleted || _stopping.IsCancellationRequested)
            {
                return;
            }

            _writtenSinceAnalyze = 0;
            _running = Task.Run(() => AnalyzeAsync(_stopping.Token));
        }
    }

    /// <summary>Analyzes now (at start-up, after an index was built: a new expression index has no statistics).</summary>
    public Task AnalyzeNowAsync(CancellationToken cancellationToken) => AnalyzeAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task running;
        lock (_lock)
        {
            running = _running;
        }

        await running;
        _stopping.Dispose();
    }

    private async Task AnalyzeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using (var analyze = _dataSource.CreateCommand("ANALYZE memories"))
            {
                await analyze.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var command = _dataSource.CreateCommand("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass('memories')");
            var rows = await command.ExecuteScalarAsync(cancellationToken) is long counted ? counted : 0;
            lock (_lock)
            {
                _rowsAtAnalyze = rows;
            }

            _logger.LogDebug("Analyzed memories ({Rows} rows) for the database search's plans", rows);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or ObjectDisposedException)
        {
            // Statistics only steer plans; autovacuum analyzes too. A failure here must not fail a write.
            if (!cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning(exception, "ANALYZE of memories failed; the planner keeps its older statistics until autovacuum analyzes");
            }
        }
    }
}
