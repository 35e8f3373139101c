using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Memory.Storage.Postgres;

/// <summary>
/// The statements of <see cref="IMemoryStore.ApplyAsync"/>: each operation is one statement that changes the row
/// and writes its history row together, so a missing row shows as zero rows affected and rolls the batch back.
/// </summary>
internal static class PostgresOperations
{
    private const string HistoryColumns =
        "id, tenant, memory_id, old_memory, new_memory, event, actor, role, source_message_ids, created_at, is_deleted";

    public static async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenant, IReadOnlyList<MemoryOperation> operations,
        string actor, CancellationToken cancellationToken)
    {
        var now = StoredTime.Now();
        foreach (var operation in operations)
        {
            await using var command = new NpgsqlCommand(Sql(operation.Event), connection, transaction);
            command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
            command.Parameters.AddWithValue("id", NpgsqlDbType.Text, operation.Id);
            command.Parameters.AddWithValue("history_id", NpgsqlDbType.Text, Guid.NewGuid().ToString());
            command.Parameters.AddWithValue("actor", NpgsqlDbType.Text, (object?)actor ?? DBNull.Value);
            command.Parameters.AddWithValue("sources", NpgsqlDbType.Array | NpgsqlDbType.Text, operation.SourceMessageIds.ToArray());
            command.Parameters.AddWithValue("now", NpgsqlDbType.TimestampTz, now);
            AddEventParameters(command, operation);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                throw new MemoryConflictException(
                    operation.Id,
                    operation.Event == MemoryEvent.Invalidate
                        ? $"Memory '{operation.Id}' does not exist or is already invalid; no change of the batch was applied."
                        : $"Memory '{operation.Id}' does not exist; no change of the batch was applied.");
            }
        }
    }

    private static string Sql(MemoryEvent memoryEvent) => memoryEvent switch
    {
        MemoryEvent.Add => $"""
            WITH inserted AS (
                INSERT INTO memories (tenant, id, user_id, agent_id, run_id, text, hash, embedding, metadata, source_message_ids,
                                      role, created_at, updated_at, invalid_at, superseded_by)
                VALUES (@tenant, @id, @user_id, @agent_id, @run_id, @text, @hash, @embedding, @metadata, @memory_sources,
                        @role, @created_at, @updated_at, @invalid_at, @superseded_by)
                RETURNING tenant, id, text, role
            )
            INSERT INTO memory_history ({HistoryColumns})
            SELECT @history_id, tenant, id, NULL, text, 'ADD', @actor, role, @sources, @now, false FROM inserted
            """,
        MemoryEvent.Update => $"""
            WITH old AS (
                SELECT tenant, id, text FROM memories WHERE tenant = @tenant AND id = @id FOR UPDATE
            ), updated AS (
                UPDATE memories m SET
                    text = @text, hash = @hash, embedding = @embedding,
                    metadata = COALESCE(@metadata, m.metadata),
                    source_message_ids = COALESCE(@memory_sources, m.source_message_ids),
                    updated_at = @now
                FROM old WHERE m.tenant = old.tenant AND m.id = old.id
                RETURNING old.text AS old_text, m.tenant, m.id, m.text, m.role
            )
            INSERT INTO memory_history ({HistoryColumns})
            SELECT @history_id, tenant, id, old_text, text, 'UPDATE', @actor, role, @sources, @now, false FROM updated
            """,
        MemoryEvent.Invalidate => $"""
            WITH changed AS (
                UPDATE memories SET invalid_at = @invalid_at, superseded_by = @superseded_by, updated_at = @now
                WHERE tenant = @tenant AND id = @id AND invalid_at IS NULL
                RETURNING tenant, id, text, role
            )
            INSERT INTO memory_history ({HistoryColumns})
            SELECT @history_id, tenant, id, text, @replacement, 'INVALIDATE', @actor, role, @sources, @now, false FROM changed
            """,
        MemoryEvent.Delete => $"""
            WITH deleted AS (
                DELETE FROM memories WHERE tenant = @tenant AND id = @id RETURNING tenant, id, text, role
            )
            INSERT INTO memory_history ({HistoryColumns})
            SELECT @history_id, tenant, id, text, NULL, 'DELETE', @actor, role, @sources, @now, true FROM deleted
            """,
        MemoryEvent.None => $"""
            INSERT INTO memory_history ({HistoryColumns})
            SELECT @history_id, tenant, id, text, text, 'NONE', @actor, role, @sources, @now, false
            FROM memories WHERE tenant = @tenant AND id = @id
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(memoryEvent), memoryEvent, "Unknown memory event."),
    };

    private static void AddEventParameters(NpgsqlCommand command, MemoryOperation operation)
    {
        var p = command.Parameters;
        switch (operation.Event)
        {
            case MemoryEvent.Add:
                var memory = operation.Memory!;
                p.AddWithValue("user_id", NpgsqlDbType.Text, (object?)memory.Scope.UserId ?? DBNull.Value);
                p.AddWithValue("agent_id", NpgsqlDbType.Text, (object?)memory.Scope.AgentId ?? DBNull.Value);
                p.AddWithValue("run_id", NpgsqlDbType.Text, (object?)memory.Scope.RunId ?? DBNull.Value);
                p.AddWithValue("text", NpgsqlDbType.Text, memory.Text);
                p.AddWithValue("hash", NpgsqlDbType.Text, memory.Hash);
                p.Add(new NpgsqlParameter { ParameterName = "embedding", Value = new Vector(memory.Embedding) });
                p.AddWithValue("metadata", NpgsqlDbType.Jsonb, MetadataJson.Serialize(memory.Metadata));
                p.AddWithValue("memory_sources", NpgsqlDbType.Array | NpgsqlDbType.Text, memory.SourceMessageIds.ToArray());
                p.AddWithValue("role", NpgsqlDbType.Text, (object?)memory.Role ?? DBNull.Value);
                p.AddWithValue("created_at", NpgsqlDbType.TimestampTz, StoredTime.Normalize(memory.CreatedAt));
                p.AddWithValue("updated_at", NpgsqlDbType.TimestampTz, StoredTime.Normalize(memory.UpdatedAt) is { } updatedAt ? updatedAt : DBNull.Value);
                p.AddWithValue("invalid_at", NpgsqlDbType.TimestampTz, StoredTime.Normalize(memory.InvalidAt) is { } invalidAt ? invalidAt : DBNull.Value);
                p.AddWithValue("superseded_by", NpgsqlDbType.Text, (object?)memory.SupersededBy ?? DBNull.Value);
                break;
            case MemoryEvent.Update:
                var update = operation.Update!;
                p.AddWithValue("text", NpgsqlDbType.Text, update.Text);
                p.AddWithValue("hash", NpgsqlDbType.Text, update.Hash);
                p.Add(new NpgsqlParameter { ParameterName = "embedding", Value = new Vector(update.Embedding) });
                p.AddWithValue("metadata", NpgsqlDbType.Jsonb, update.Metadata is null ? DBNull.Value : MetadataJson.Serialize(update.Metadata));
                p.AddWithValue(
                    "memory_sources", NpgsqlDbType.Array | NpgsqlDbType.Text,
                    update.SourceMessageIds is null ? DBNull.Value : update.SourceMessageIds.ToArray());
                break;
            case MemoryEvent.Invalidate:
                p.AddWithValue("invalid_at", NpgsqlDbType.TimestampTz, StoredTime.Normalize(operation.InvalidAt!.Value));
                p.AddWithValue("superseded_by", NpgsqlDbType.Text, (object?)operation.SupersededBy ?? DBNull.Value);
                p.AddWithValue("replacement", NpgsqlDbType.Text, (object?)operation.ReplacementText ?? DBNull.Value);
                break;
        }
    }
}
