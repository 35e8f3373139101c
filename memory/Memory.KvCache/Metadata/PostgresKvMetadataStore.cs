using Npgsql;
using NpgsqlTypes;

namespace Memory.KvCache.Metadata;

/// <summary>KV block metadata in PostgreSQL (tables kv_blocks and kv_pins).</summary>
public sealed class PostgresKvMetadataStore : IKvMetadataStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresKvMetadataStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Several servers may start at once; the schema statements are idempotent but not concurrency-safe.
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('memory.kv_metadata:' || current_schema()))", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(KvMetadataSql.Schema, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task RecordAsync(KvBlockRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var command = _dataSource.CreateCommand(
            """
            INSERT INTO kv_blocks (block_key, prefix_key, model_id, tokens, raw_bytes, stored_bytes, tenant, conversation_id, session_id, pinned)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, EXISTS (SELECT 1 FROM kv_pins WHERE block_key = $1))
            ON CONFLICT (block_key) DO UPDATE SET
                raw_bytes = EXCLUDED.raw_bytes,
                stored_bytes = GREATEST(kv_blocks.stored_bytes, EXCLUDED.stored_bytes),
                conversation_id = CASE WHEN kv_blocks.tenant IS NOT DISTINCT FROM EXCLUDED.tenant
                    THEN COALESCE(EXCLUDED.conversation_id, kv_blocks.conversation_id) ELSE EXCLUDED.conversation_id END,
                session_id = CASE WHEN kv_blocks.tenant IS NOT DISTINCT FROM EXCLUDED.tenant
                    THEN COALESCE(EXCLUDED.session_id, kv_blocks.session_id) ELSE EXCLUDED.session_id END,
                tenant = EXCLUDED.tenant,
                pinned = EXCLUDED.pinned,
                last_used_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = record.BlockKey });
        command.Parameters.Add(new NpgsqlParameter { Value = record.PrefixKey });
        command.Parameters.Add(new NpgsqlParameter { Value = record.ModelId });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Tokens });
        command.Parameters.Add(new NpgsqlParameter { Value = record.RawBytes });
        command.Parameters.Add(new NpgsqlParameter { Value = record.StoredBytes });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Tenant });
        command.Parameters.Add(Text(record.ConversationId));
        command.Parameters.Add(Text(record.SessionId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task TouchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        await using var command = _dataSource.CreateCommand("UPDATE kv_blocks SET hits = hits + 1, last_used_at = now() WHERE block_key = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> SetPinnedAsync(string tenant, IReadOnlyList<string> keys, bool pinned, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        if (keys.Count == 0)
        {
            return 0;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string change = pinned
            ? "INSERT INTO kv_pins (tenant, block_key) SELECT $1, k FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING"
            : "DELETE FROM kv_pins WHERE tenant = $1 AND block_key = ANY($2)";
        await using (var command = new NpgsqlCommand(change, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenant });
            command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int stored;
        await using (var command = new NpgsqlCommand(
            "UPDATE kv_blocks b SET pinned = EXISTS (SELECT 1 FROM kv_pins p WHERE p.block_key = b.block_key) WHERE b.block_key = ANY($1)",
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
            stored = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<string>> PinnedKeysAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT DISTINCT block_key FROM kv_pins");
        return await ReadKeysAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> StillPinnedAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        await using var command = _dataSource.CreateCommand("SELECT DISTINCT block_key FROM kv_pins WHERE block_key = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        return await ReadKeysAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DeleteAsync(string? tenant, string? modelId, string? conversationId, CancellationToken cancellationToken)
    {
        KvMetadataSql.RequireScope(modelId, conversationId);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        const string matching = "($1::text IS NULL OR b.tenant = $1) AND ($2::text IS NULL OR b.model_id = $2) AND ($3::text IS NULL OR b.conversation_id = $3)";

        // The caller's own pins on these blocks go with them (an operator's delete, tenant null, takes every pin); a
        // block that another tenant still pins stays.
        await using (var command = new NpgsqlCommand(
            $"DELETE FROM kv_pins p USING kv_blocks b WHERE p.block_key = b.block_key AND ($1::text IS NULL OR p.tenant = $1) AND {matching}",
            connection,
            transaction))
        {
            AddScope(command, tenant, modelId, conversationId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        IReadOnlyList<string> deleted;
        await using (var command = new NpgsqlCommand(
            $"DELETE FROM kv_blocks b WHERE {matching} AND NOT EXISTS (SELECT 1 FROM kv_pins p WHERE p.block_key = b.block_key) RETURNING b.block_key",
            connection,
            transaction))
        {
            AddScope(command, tenant, modelId, conversationId);
            deleted = await ReadKeysAsync(command, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<KvMetadataSummary> SummaryAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT count(*), count(*) FILTER (WHERE pinned), COALESCE(sum(raw_bytes), 0)::bigint, COALESCE(sum(stored_bytes), 0)::bigint, COALESCE(sum(hits), 0)::bigint FROM kv_blocks");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new KvMetadataSummary(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static void AddScope(NpgsqlCommand command, string? tenant, string? modelId, string? conversationId)
    {
        command.Parameters.Add(Text(tenant));
        command.Parameters.Add(Text(modelId));
        command.Parameters.Add(Text(conversationId));
    }

    private static async Task<IReadOnlyList<string>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
