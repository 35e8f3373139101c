using Microsoft.Data.Sqlite;

namespace Memory.KvCache.Metadata;

/// <summary>KV block metadata in the embedded SQLite file (tables kv_blocks and kv_pins, same columns as PostgreSQL).</summary>
public sealed class SqliteKvMetadataStore : IKvMetadataStore
{
    private const string Now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    private const string Schema =
        $"""
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
            created_at      TEXT    NOT NULL DEFAULT ({Now}),
            last_used_at    TEXT    NOT NULL DEFAULT ({Now}),
            tenant          TEXT    NULL
        );
        CREATE INDEX IF NOT EXISTS kv_blocks_model_idx ON kv_blocks (model_id);
        CREATE INDEX IF NOT EXISTS kv_blocks_conversation_idx ON kv_blocks (conversation_id);
        CREATE TABLE IF NOT EXISTS kv_pins (
            tenant     TEXT NOT NULL,
            block_key  TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT ({Now}),
            PRIMARY KEY (tenant, block_key)
        );
        CREATE INDEX IF NOT EXISTS kv_pins_block_idx ON kv_pins (block_key);
        """;

    private const string Matching = "($tenant IS NULL OR b.tenant = $tenant) AND ($model IS NULL OR b.model_id = $model) AND ($conversation IS NULL OR b.conversation_id = $conversation)";

    private readonly string _connectionString;

    public SqliteKvMetadataStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, Schema, [], cancellationToken);

        // Files made before tenants were recorded have no tenant column (SQLite has no ADD COLUMN IF NOT EXISTS).
        var columns = await ReadKeysAsync(connection, null, "SELECT name FROM pragma_table_info('kv_blocks')", [], cancellationToken);
        if (!columns.Contains("tenant"))
        {
            await ExecuteAsync(connection, null, "ALTER TABLE kv_blocks ADD COLUMN tenant TEXT NULL", [], cancellationToken);
        }

        await ExecuteAsync(connection, null, "CREATE INDEX IF NOT EXISTS kv_blocks_tenant_idx ON kv_blocks (tenant, conversation_id)", [], cancellationToken);
    }

    public async Task RecordAsync(KvBlockRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(
            connection,
            null,
            $"""
            INSERT INTO kv_blocks (block_key, prefix_key, model_id, tokens, raw_bytes, stored_bytes, tenant, conversation_id, session_id, pinned)
            VALUES ($key, $prefix, $model, $tokens, $raw, $stored, $tenant, $conversation, $session, EXISTS (SELECT 1 FROM kv_pins WHERE block_key = $key))
            ON CONFLICT (block_key) DO UPDATE SET
                raw_bytes = excluded.raw_bytes,
                stored_bytes = max(kv_blocks.stored_bytes, excluded.stored_bytes),
                conversation_id = CASE WHEN kv_blocks.tenant IS excluded.tenant
                    THEN coalesce(excluded.conversation_id, kv_blocks.conversation_id) ELSE excluded.conversation_id END,
                session_id = CASE WHEN kv_blocks.tenant IS excluded.tenant
                    THEN coalesce(excluded.session_id, kv_blocks.session_id) ELSE excluded.session_id END,
                tenant = excluded.tenant,
                pinned = excluded.pinned,
                last_used_at = {Now}
            """,
            [("$key", record.BlockKey), ("$prefix", record.PrefixKey), ("$model", record.ModelId), ("$tokens", record.Tokens), ("$raw", record.RawBytes), ("$stored", record.StoredBytes), ("$tenant", record.Tenant), ("$conversation", record.ConversationId), ("$session", record.SessionId)],
            cancellationToken);
    }

    public async Task TouchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (var key in keys)
        {
            await ExecuteAsync(connection, transaction, $"UPDATE kv_blocks SET hits = hits + 1, last_used_at = {Now} WHERE block_key = $key", [("$key", key)], cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<int> SetPinnedAsync(string tenant, IReadOnlyList<string> keys, bool pinned, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        string change = pinned
            ? "INSERT INTO kv_pins (tenant, block_key) VALUES ($tenant, $key) ON CONFLICT DO NOTHING"
            : "DELETE FROM kv_pins WHERE tenant = $tenant AND block_key = $key";
        int stored = 0;
        foreach (var key in keys)
        {
            await ExecuteAsync(connection, transaction, change, [("$tenant", tenant), ("$key", key)], cancellationToken);
            stored += await ExecuteAsync(
                connection,
                transaction,
                "UPDATE kv_blocks SET pinned = EXISTS (SELECT 1 FROM kv_pins p WHERE p.block_key = $key) WHERE block_key = $key",
                [("$key", key)],
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<string>> PinnedKeysAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadKeysAsync(connection, null, "SELECT DISTINCT block_key FROM kv_pins", [], cancellationToken);
    }

    public async Task<IReadOnlyList<string>> StillPinnedAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var pinned = new List<string>();
        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            pinned.AddRange(await ReadKeysAsync(connection, null, "SELECT block_key FROM kv_pins WHERE block_key = $key LIMIT 1", [("$key", key)], cancellationToken));
        }

        return pinned;
    }

    public async Task<IReadOnlyList<string>> DeleteAsync(string? tenant, string? modelId, string? conversationId, CancellationToken cancellationToken)
    {
        KvMetadataSql.RequireScope(modelId, conversationId);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        (string, object?)[] scope = [("$tenant", tenant), ("$model", modelId), ("$conversation", conversationId)];

        // The caller's own pins on these blocks go with them (an operator's delete, tenant null, takes every pin); a
        // block that another tenant still pins stays.
        await ExecuteAsync(
            connection,
            transaction,
            $"DELETE FROM kv_pins WHERE ($tenant IS NULL OR tenant = $tenant) AND block_key IN (SELECT b.block_key FROM kv_blocks b WHERE {Matching})",
            scope,
            cancellationToken);
        var deleted = await ReadKeysAsync(
            connection,
            transaction,
            $"DELETE FROM kv_blocks AS b WHERE {Matching} AND NOT EXISTS (SELECT 1 FROM kv_pins p WHERE p.block_key = b.block_key) RETURNING block_key",
            scope,
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
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

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<string>> ReadKeysAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
