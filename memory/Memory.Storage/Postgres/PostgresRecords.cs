using Memory.Conversations.Model;
using Npgsql;
using Pgvector;

namespace Memory.Storage.Postgres;

/// <summary>The column list every memory query selects, and how a row of it becomes a <see cref="MemoryRecord"/>.</summary>
internal static class PostgresRecords
{
    public const string Columns =
        "tenant, id, user_id, agent_id, run_id, text, hash, embedding, metadata::text, source_message_ids, role, created_at, updated_at, invalid_at, superseded_by";

    /// <summary>Same columns qualified by a table alias (for joins and CTEs).</summary>
    public static string ColumnsOf(string alias) => string.Join(", ", Columns.Split(", ").Select(c => alias + "." + c));

    public const int ColumnCount = 15;

    public static MemoryRecord Read(NpgsqlDataReader reader)
    {
        return new MemoryRecord
        {
            Tenant = reader.GetString(0),
            Id = reader.GetString(1),
            Scope = new MemoryScope(NullableString(reader, 2), NullableString(reader, 3), NullableString(reader, 4)),
            Text = reader.GetString(5),
            Hash = reader.GetString(6),
            Embedding = reader.GetFieldValue<Vector>(7).Memory,
            Metadata = MetadataJson.Deserialize(reader.GetString(8)),
            SourceMessageIds = reader.GetFieldValue<string[]>(9),
            Role = NullableString(reader, 10),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(11),
            UpdatedAt = NullableTime(reader, 12),
            InvalidAt = NullableTime(reader, 13),
            SupersededBy = NullableString(reader, 14),
        };
    }

    public static MemoryHistoryEntry ReadHistory(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        MemoryId = reader.GetString(1),
        OldMemory = NullableString(reader, 2),
        NewMemory = NullableString(reader, 3),
        Event = HistoryEventNames.FromStored(reader.GetString(4)),
        Actor = NullableString(reader, 5),
        Role = NullableString(reader, 6),
        SourceMessageIds = reader.GetFieldValue<string[]>(7),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(8),
        IsDeleted = reader.GetBoolean(9),
    };

    public const string HistoryColumns = "id, memory_id, old_memory, new_memory, event, actor, role, source_message_ids, created_at, is_deleted";

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
