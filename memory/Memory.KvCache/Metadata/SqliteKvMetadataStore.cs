using Microsoft.Data.Sqlite;

namespace Memory.KvCache.Metadata;

/// <summary>KV block metadata in the embedded SQLite file (table kv_blocks, same columns as PostgreSQL).</summary>
public sealed class SqliteKvMetadataStore : IKvMetadataStore
{
    private const string Schema =
        """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS kv_blocks (
            block_key       TEXT    PRIMARY KEY,
            prefix_key      TEXT    NOT NULL,
            model_id        TEXT    NOT NULL,
            tokens          INTEGER NOT NULL CHECK (tokens > 0),
            raw_bytes       INTEGER NOT NULL CHECK (raw_bytes >= 0),
            stored_bytes    INTEGER NOT NULL CHECK (stored_bytes >= 0),
            pinned          INTEGER NOT NULL DEFAULT 0,
            conversation_id TEXT    NULL,
            session_id      TEXT    NULL,
            hits            INTEGER NOT NULL DEFAULT 0,
            created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            last_used_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE INDEX IF NOT EXISTS kv_blocks_model_idx ON kv_blocks (model_id);
        CREATE INDEX IF NOT EXISTS kv_blocks_conversation_idx ON kv_blocks (conversation_id);
        """;

    private readonly string _connectionString;

    public SqliteKvMetadataStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, Schema, [], cancellationToken);
    }

    public async Task RecordAsync(KvBlockRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            """
            INSERT INTO kv_blocks (block_key, prefix_key, model_id, tokens, raw_bytes, stored_bytes, conversation_id, session_id)
            VALUES ($key, $prefix, $model, $tokens, $raw, $stored, $conversation, $session)
            ON CONFLICT (block_key) DO UPDATE SET
                raw_bytes = excluded.raw_bytes,
                stored_bytes = max(kv_blocks.stored_bytes, excluded.stored_bytes),
                conversation_id = coalesce(excluded.conversation_id, kv_blocks.conversation_id),
                session_id = coalesce(excluded.session_id, kv_blocks.session_id),
                last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            """,
            [("$key", record.BlockKey), ("$prefix", record.PrefixKey), ("$model", record.ModelId), ("$tokens", record.Tokens), ("$raw", record.RawBytes), ("$stored", record.StoredBytes), ("$conversation", record.ConversationId), ("$session", record.SessionId)],
            cancellationToken);
    }

    public async Task TouchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        foreach (var key in keys)
        {
            await ExecuteAsync(connection, "UPDATE kv_blocks SET hits = hits + 1, last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE block_key = $key", [("$key", key)], cancellationToken);
        }
    }

    public async Task<int> SetPinnedAsync(IReadOnlyList<string> keys, bool pinned, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        int rows = 0;
        foreach (var key in keys)
        {
            rows += await ExecuteAsync(connection, "UPDATE kv_blocks SET pinned = $pinned WHERE block_key = $key", [("$key", key), ("$pinned", pinned ? 1 : 0)], cancellationToken);
        }

        return rows;
    }

    public async Task<IReadOnlyList<string>> PinnedKeysAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadKeysAsync(connection, "SELECT block_key FROM kv_blocks WHERE pinned = 1", [], cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DeleteAsync(string? modelId, string? conversationId, CancellationToken cancellationToken)
    {
        KvMetadataSql.RequireScope(modelId, conversationId);
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadKeysAsync(
            connection,
            "DELETE FROM kv_blocks WHERE ($model IS NULL OR model_id = $model) AND ($conversation IS NULL OR conversation_id = $conversation) RETURNING block_key",
            [("$model", modelId), ("$conversation", conversationId)],
            cancellationToken);
    }

    public async Task<KvMetadataSummary> SummaryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(sum(pinned), 0), coalesce(sum(raw_bytes), 0), coalesce(sum(stored_bytes), 0), coalesce(sum(hits), 0) FROM kv_blocks";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new KvMetadataSummary(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> ReadKeysAsync(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
