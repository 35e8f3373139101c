using Memory.Conversations.Model;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Memory.Storage.Postgres;

/// <summary>
/// Keeps one server's in-process indexes (<see cref="MemoryIndexes"/>) in step with the database, whichever server
/// wrote it. Triggers record each written row's newest change with its transaction id in memory_changes (migration
/// 0006; a deleted row's entry is its tombstone). A change number would not do: numbers are drawn before commit, so a
/// lower one can become visible after a higher one was read. Instead every look at the log also reads the snapshot's
/// xmax and in-progress transactions; anything that commits later is one of those or newer, so the next look reads
/// only the entries of exactly those transactions (index lookups), however long other transactions elsewhere run.
/// Entries seen twice are applied twice, harmlessly: each says which row to re-read, and the row as it is now says
/// what the indexes hold.
/// </summary>
internal sealed class PostgresChangeFeed
{
    private const string IndexedColumns = "m.user_id, m.agent_id, m.run_id, m.embedding, m.text";

    private readonly MemoryIndexes _indexes;
    private long _xmax;
    private string[] _inProgress = [];

    public PostgresChangeFeed(MemoryIndexes indexes) => _indexes = indexes;

    /// <summary>Indexes every valid memory in one snapshot and remembers which transactions that snapshot could not see.</summary>
    /// <returns>How many memories were indexed.</returns>
    public async Task<int> LoadAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        using (await _indexes.LockChangesAsync(cancellationToken))
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            await ReadHorizonAsync(connection, snapshot, cancellationToken);
            await using var command = new NpgsqlCommand(
                $"SELECT m.seq, m.tenant, {IndexedColumns} FROM memories m WHERE m.invalid_at IS NULL", connection, snapshot);
            var count = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    Index(reader, reader.GetInt64(0), reader.GetString(1), 2);
                    count++;
                }
            }

            await snapshot.CommitAsync(cancellationToken);
            return count;
        }
    }

    /// <summary>Applies every change committed before this call (and maybe some after).</summary>
    public Task CatchUpAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        _indexes.CatchUpAsync(look => LookAsync(dataSource, look), cancellationToken);

    /// <summary>Applies every change committed since the last look; the caller holds the change lock.</summary>
    private async Task LookAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);

        // Read committed: the second statement's snapshot is taken after the first's, so it sees at least every
        // transaction the first saw finished; what neither saw is in the horizon read by the first.
        batch.BatchCommands.Add(HorizonCommand());
        // Two index scans on xid (an OR of the two conditions is planned as a scan of the whole log).
        var changes = new NpgsqlBatchCommand($"""
            SELECT c.row, c.tenant, m.seq IS NOT NULL AND m.invalid_at IS NULL, {IndexedColumns}
            FROM (SELECT row, tenant FROM memory_changes WHERE xid >= @xmax::text::xid8
                  UNION
                  SELECT row, tenant FROM memory_changes WHERE xid = ANY(@in_progress::xid8[])) AS c
            LEFT JOIN memories m ON m.seq = c.row AND m.tenant = c.tenant
            """);
        changes.Parameters.AddWithValue("xmax", NpgsqlDbType.Bigint, _xmax);
        changes.Parameters.AddWithValue("in_progress", NpgsqlDbType.Array | NpgsqlDbType.Text, _inProgress);
        batch.BatchCommands.Add(changes);

        // Prepared once per pooled connection: planning the two statements cost more than running them.
        await batch.PrepareAsync(cancellationToken);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var (xmax, inProgress) = await ReadHorizonAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = reader.GetInt64(0);
            var tenant = reader.GetString(1);
            if (reader.GetBoolean(2))
            {
                Index(reader, row, tenant, 3);
            }
            else
            {
                _indexes.Forget(row, tenant);
            }
        }

        // Only once every entry is applied: a failed look is repeated whole.
        _xmax = xmax;
        _inProgress = inProgress;
    }

    private static NpgsqlBatchCommand HorizonCommand() => new(
        "SELECT pg_snapshot_xmax(s)::text::bigint, ARRAY(SELECT x::text FROM pg_snapshot_xip(s) AS x) FROM pg_current_snapshot() AS s");

    private async Task ReadHorizonAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { HorizonCommand() } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        (_xmax, _inProgress) = await ReadHorizonAsync(reader, cancellationToken);
    }

    private static async Task<(long Xmax, string[] InProgress)> ReadHorizonAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetFieldValue<string[]>(1));
    }

    private void Index(NpgsqlDataReader reader, long row, string tenant, int first)
    {
        var scope = new MemoryScope(
            reader.IsDBNull(first) ? null : reader.GetString(first),
            reader.IsDBNull(first + 1) ? null : reader.GetString(first + 1),
            reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2));
        _indexes.Index(row, tenant, scope, reader.GetFieldValue<Vector>(first + 3).Memory.Span, reader.GetString(first + 4));
    }
}
