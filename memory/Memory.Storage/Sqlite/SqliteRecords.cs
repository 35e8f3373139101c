using System.Runtime.InteropServices;
using Memory.Conversations.Model;
using Memory.Storage.Vectors;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Sqlite;

/// <summary>The column list every memory query of the embedded store selects, and how a row becomes a record.</summary>
internal static class SqliteRecords
{
    public const string Columns =
        "m.seq, m.tenant, m.id, m.user_id, m.agent_id, m.run_id, m.text, m.hash, m.embedding, m.metadata, m.source_message_ids, m.role, m.created_at, m.updated_at, m.invalid_at, m.superseded_by";

    public const int ColumnCount = 16;

    public const string HistoryColumns =
        "id, memory_id, old_memory, new_memory, event, actor, role, source_message_ids, created_at, is_deleted";

    public static long ReadRow(SqliteDataReader reader) => reader.GetInt64(0);

    public static MemoryRecord Read(SqliteDataReader reader) => new()
    {
        Tenant = reader.GetString(1),
        Id = reader.GetString(2),
        Scope = new MemoryScope(NullableString(reader, 3), NullableString(reader, 4), NullableString(reader, 5)),
        Text = reader.GetString(6),
        Hash = reader.GetString(7),
        Embedding = Int8Vectors.AsFloats(reader.GetFieldValue<byte[]>(8)).ToArray(),
        Metadata = MetadataJson.Deserialize(reader.GetString(9)),
        SourceMessageIds = MetadataJson.DeserializeIds(reader.GetString(10)),
        Role = NullableString(reader, 11),
        CreatedAt = StoredTime.FromUnixMicroseconds(reader.GetInt64(12)),
        UpdatedAt = NullableTime(reader, 13),
        InvalidAt = NullableTime(reader, 14),
        SupersededBy = NullableString(reader, 15),
    };

    public static MemoryHistoryEntry ReadHistory(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        MemoryId = reader.GetString(1),
        OldMemory = NullableString(reader, 2),
        NewMemory = NullableString(reader, 3),
        Event = HistoryEventNames.FromStored(reader.GetString(4)),
        Actor = NullableString(reader, 5),
        Role = NullableString(reader, 6),
        SourceMessageIds = MetadataJson.DeserializeIds(reader.GetString(7)),
        CreatedAt = StoredTime.FromUnixMicroseconds(reader.GetInt64(8)),
        IsDeleted = reader.GetInt64(9) != 0,
    };

    public static byte[] EmbeddingBlob(ReadOnlyMemory<float> embedding) => MemoryMarshal.AsBytes(embedding.Span).ToArray();

    public static object Nullable(string? value) => (object?)value ?? DBNull.Value;

    public static object Nullable(DateTimeOffset? value) =>
        value is { } time ? StoredTime.ToUnixMicroseconds(StoredTime.Normalize(time)) : DBNull.Value;

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : StoredTime.FromUnixMicroseconds(reader.GetInt64(ordinal));
}
