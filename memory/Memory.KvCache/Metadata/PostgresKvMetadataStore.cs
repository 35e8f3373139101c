using Npgsql;

namespace Memory.KvCache.Metadata;

/// <summary>KV block metadata in PostgreSQL (table kv_blocks).</summary>
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
        await using var command = _dataSource.CreateCommand(KvMetadataSql.Schema);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RecordAsync(KvBlockRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var command = _dataSource.CreateCommand(
            """
            INSERT INTO kv_blocks (block_key, prefix_key, model_id, tokens, raw_bytes, stored_bytes, conversation_id, session_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (block_key) DO UPDATE SET
                raw_bytes = EXCLUDED.raw_bytes,
                stored_bytes = GREATEST(kv_blocks.stored_bytes, EXCLUDED.stored_bytes),
                conversation_id = COALESCE(EXCLUDED.conversation_id, kv_blocks.conversation_id),
                session_id = COALESCE(EXCLUDED.session_id, kv_blocks.session_id),
                last_used_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = record.BlockKey });
        command.Parameters.Add(new NpgsqlParameter { Value = record.PrefixKey });
        command.Parameters.Add(new NpgsqlParameter { Value = record.ModelId });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Tokens });
        command.Parameters.Add(new NpgsqlParameter { Value = record.RawBytes });
        command.Parameters.Add(new NpgsqlParameter { Value = record.StoredBytes });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.ConversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.SessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
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

    public async Task<int> SetPinnedAsync(IReadOnlyList<string> keys, bool pinned, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return 0;
        }

        await using var command = _dataSource.CreateCommand("UPDATE kv_blocks SET pinned = $2 WHERE block_key = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = pinned });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> PinnedKeysAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT block_key FROM kv_blocks WHERE pinned");
        return await ReadKeysAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DeleteAsync(string? modelId, string? conversationId, CancellationToken cancellationToken)
    {
        KvMetadataSql.RequireScope(modelId, conversationId);
        await using var command = _dataSource.CreateCommand(
            "DELETE FROM kv_blocks WHERE ($1::text IS NULL OR model_id = $1) AND ($2::text IS NULL OR conversation_id = $2) RETURNING block_key");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)modelId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)conversationId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await ReadKeysAsync(command, cancellationToken);
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
