using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Sqlite;

/// <summary>
/// The statements of <see cref="IMemoryStore.ApplyAsync"/> for the embedded store, run inside the caller's
/// transaction; the in-process indexes follow from the change log once it has committed.
/// </summary>
internal static class SqliteOperations
{
    public static async Task ApplyAsync(
        SqliteConnection connection, SqliteTransaction transaction, string tenant, IReadOnlyList<MemoryOperation> operations,
        string actor, CancellationToken cancellationToken)
    {
        var now = StoredTime.ToUnixMicroseconds(StoredTime.Now());
        await using var history = SqliteMemoryStore.HistoryInsert(connection, transaction);
        foreach (var operation in operations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (operation.Event == MemoryEvent.Add)
            {
                var memory = operation.Memory!;
                await InsertAsync(connection, transaction, memory, cancellationToken);
                SqliteMemoryStore.SetHistory(history, tenant, memory.Id, null, memory.Text, MemoryEvent.Add, actor, memory.Role, operation.SourceMessageIds, now, false);
                await history.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }

            var current = await FindAsync(connection, transaction, tenant, operation.Id, cancellationToken);
            if (current is null || (operation.Event == MemoryEvent.Invalidate && current.Value.Invalid))
            {
                throw new MemoryConflictException(
                    operation.Id,
                    operation.Event == MemoryEvent.Invalidate
                        ? $"Memory '{operation.Id}' does not exist or is already invalid; no change of the batch was applied."
                        : $"Memory '{operation.Id}' does not exist; no change of the batch was applied.");
            }

            var (seq, text, role, _, _) = current.Value;
            switch (operation.Event)
            {
                case MemoryEvent.Update:
                    var update = operation.Update!;
                    await ExecuteAsync(connection, transaction, """
                        UPDATE memories SET
                            text = $text, hash = $hash, embedding = $embedding,
                            metadata = COALESCE($metadata, metadata),
                            source_message_ids = COALESCE($source_ids, source_message_ids),
                            updated_at = $now
                        WHERE seq = $seq
                        """, cancellationToken,
                        ("$text", update.Text), ("$hash", update.Hash), ("$embedding", SqliteRecords.EmbeddingBlob(update.Embedding)),
                        ("$metadata", update.Metadata is null ? DBNull.Value : MetadataJson.Serialize(update.Metadata)),
                        ("$source_ids", update.SourceMessageIds is null ? DBNull.Value : MetadataJson.SerializeIds(update.SourceMessageIds)),
                        ("$now", now), ("$seq", seq));
                    SqliteMemoryStore.SetHistory(history, tenant, operation.Id, text, update.Text, MemoryEvent.Update, actor, role, operation.SourceMessageIds, now, false);
                    break;
                case MemoryEvent.Invalidate:
                    await ExecuteAsync(connection, transaction,
                        "UPDATE memories SET invalid_at = $invalid_at, superseded_by = $superseded_by, updated_at = $now WHERE seq = $seq",
                        cancellationToken,
                        ("$invalid_at", StoredTime.ToUnixMicroseconds(StoredTime.Normalize(operation.InvalidAt!.Value))),
                        ("$superseded_by", SqliteRecords.Nullable(operation.SupersededBy)), ("$now", now), ("$seq", seq));
                    SqliteMemoryStore.SetHistory(history, tenant, operation.Id, text, operation.ReplacementText, MemoryEvent.Invalidate, actor, role, operation.SourceMessageIds, now, false);
                    break;
                case MemoryEvent.Delete:
                    await ExecuteAsync(connection, transaction, "DELETE FROM memories WHERE seq = $seq", cancellationToken, ("$seq", seq));
                    SqliteMemoryStore.SetHistory(history, tenant, operation.Id, text, null, MemoryEvent.Delete, actor, role, operation.SourceMessageIds, now, true);
                    break;
                case MemoryEvent.None:
                    SqliteMemoryStore.SetHistory(history, tenant, operation.Id, text, text, MemoryEvent.None, actor, role, operation.SourceMessageIds, now, false);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(operations), operation.Event, "Unknown memory event.");
            }

            await history.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task InsertAsync(
        SqliteConnection connection, SqliteTransaction transaction, MemoryRecord memory, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO memories (tenant, id, user_id, agent_id, run_id, text, hash, embedding, metadata, source_message_ids,
                                  role, created_at, updated_at, invalid_at, superseded_by)
            VALUES ($tenant, $id, $user_id, $agent_id, $run_id, $text, $hash, $embedding, $metadata, $source_ids,
                    $role, $created_at, $updated_at, $invalid_at, $superseded_by)
            """;
        insert.Parameters.AddWithValue("$tenant", memory.Tenant);
        insert.Parameters.AddWithValue("$id", memory.Id);
        insert.Parameters.AddWithValue("$user_id", SqliteRecords.Nullable(memory.Scope.UserId));
        insert.Parameters.AddWithValue("$agent_id", SqliteRecords.Nullable(memory.Scope.AgentId));
        insert.Parameters.AddWithValue("$run_id", SqliteRecords.Nullable(memory.Scope.RunId));
        insert.Parameters.AddWithValue("$text", memory.Text);
        insert.Parameters.AddWithValue("$hash", memory.Hash);
        insert.Parameters.AddWithValue("$embedding", SqliteRecords.EmbeddingBlob(memory.Embedding));
        insert.Parameters.AddWithValue("$metadata", MetadataJson.Serialize(memory.Metadata));
        insert.Parameters.AddWithValue("$source_ids", MetadataJson.SerializeIds(memory.SourceMessageIds));
        insert.Parameters.AddWithValue("$role", SqliteRecords.Nullable(memory.Role));
        insert.Parameters.AddWithValue("$created_at", StoredTime.ToUnixMicroseconds(StoredTime.Normalize(memory.CreatedAt)));
        insert.Parameters.AddWithValue("$updated_at", SqliteRecords.Nullable(memory.UpdatedAt));
        insert.Parameters.AddWithValue("$invalid_at", SqliteRecords.Nullable(memory.InvalidAt));
        insert.Parameters.AddWithValue("$superseded_by", SqliteRecords.Nullable(memory.SupersededBy));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<(long Seq, string Text, string? Role, MemoryScope Scope, bool Invalid)?> FindAsync(
        SqliteConnection connection, SqliteTransaction transaction, string tenant, string id, CancellationToken cancellationToken)
    {
        await using var find = connection.CreateCommand();
        find.Transaction = transaction;
        find.CommandText = "SELECT seq, text, role, user_id, agent_id, run_id, invalid_at FROM memories WHERE tenant = $tenant AND id = $id";
        find.Parameters.AddWithValue("$tenant", tenant);
        find.Parameters.AddWithValue("$id", id);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
        return (reader.GetInt64(0), reader.GetString(1), Text(2), new MemoryScope(Text(3), Text(4), Text(5)), !reader.IsDBNull(6));
    }

    private static async Task ExecuteAsync(
        SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
