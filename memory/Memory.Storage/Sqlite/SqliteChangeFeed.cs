using Memory.Conversations.Model;
using Memory.Storage.Vectors;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Sqlite;

/// <summary>
/// Keeps one store instance's in-process indexes (vectors and text) in step with the file, whoever wrote it. The
/// schema's triggers record each written row as the newest entry of memory_changes (a deleted row's entry is its
/// tombstone); an instance loads every valid row at start-up together with the newest change number, then replays
/// the entries after the last one it applied: after each of its own writes, and before each search, so a search on
/// one instance sees what another instance on the same file has committed. The file stays the truth: an entry says
/// which row to look at, and the row as it is now says what the indexes hold.
/// </summary>
internal sealed class SqliteChangeFeed
{
    private readonly MemoryIndexes _indexes;
    private readonly int _dimensions;
    private long _applied;

    public SqliteChangeFeed(MemoryIndexes indexes, int dimensions)
    {
        _indexes = indexes;
        _dimensions = dimensions;
    }

    /// <summary>Indexes every valid memory of the file; the changes committed after this snapshot are replayed later.</summary>
    /// <returns>How many memories were indexed.</returns>
    public async Task<int> LoadAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using (await _indexes.LockChangesAsync(cancellationToken))
        {
            // One read transaction: the newest change number and the rows come from the same snapshot.
            using var snapshot = connection.BeginTransaction(deferred: true);
            using (var newest = connection.CreateCommand())
            {
                newest.Transaction = snapshot;
                newest.CommandText = "SELECT coalesce(max(change), 0) FROM memory_changes";
                _applied = (long)newest.ExecuteScalar()!;
            }

            using var command = connection.CreateCommand();
            command.Transaction = snapshot;
            command.CommandText = "SELECT seq, tenant, user_id, agent_id, run_id, embedding, text FROM memories WHERE invalid_at IS NULL";
            using var reader = command.ExecuteReader();
            var count = 0;
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                Index(reader.GetInt64(0), reader.GetString(1), ReadScope(reader, 2), reader.GetFieldValue<byte[]>(5), reader.GetString(6));
                count++;
            }

            return count;
        }
    }

    /// <summary>Applies every change committed before this call (and maybe some after).</summary>
    public Task CatchUpAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        _indexes.CatchUpAsync(look => LookAsync(connection, look), cancellationToken);

    /// <summary>Applies every change after the last one applied; the caller holds the change lock.</summary>
    private async Task LookAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.change, c.row, c.tenant, m.seq IS NOT NULL AND m.invalid_at IS NULL, m.user_id, m.agent_id, m.run_id, m.embedding, m.text
            FROM memory_changes c LEFT JOIN memories m ON m.seq = c.row AND m.tenant = c.tenant
            WHERE c.change > $after ORDER BY c.change
            """;
        command.Parameters.AddWithValue("$after", _applied);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = reader.GetInt64(1);
            var tenant = reader.GetString(2);
            if (reader.GetBoolean(3))
            {
                Index(row, tenant, ReadScope(reader, 4), reader.GetFieldValue<byte[]>(7), reader.GetString(8));
            }
            else
            {
                _indexes.Forget(row, tenant);
            }

            _applied = reader.GetInt64(0);
        }
    }

    private void Index(long row, string tenant, MemoryScope scope, byte[] embedding, string text)
    {
        if (embedding.Length != _dimensions * sizeof(float))
        {
            throw new InvalidDataException($"Memory row {row} has an embedding of {embedding.Length} bytes; expected {_dimensions * sizeof(float)}.");
        }

        _indexes.Index(row, tenant, scope, Int8Vectors.AsFloats(embedding), text);
    }

    private static MemoryScope ReadScope(SqliteDataReader reader, int first) => new(
        reader.IsDBNull(first) ? null : reader.GetString(first),
        reader.IsDBNull(first + 1) ? null : reader.GetString(first + 1),
        reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2));
}
