using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pgvector;
using Pgvector.Npgsql;

namespace Memory.Storage.Postgres;

/// <summary>
/// Memories in PostgreSQL with pgvector, history rows written by the same statement or transaction as each change,
/// and search by one of two backends (<see cref="PostgresSearchMode"/>): the in-process indexes the embedded store uses,
/// kept in step with the database by a change log (<see cref="PostgresInProcessSearch"/>), or pgvector HNSW and a GIN
/// tsvector index inside the database (<see cref="PostgresDatabaseSearch"/>). Either way tenant, scope, validity and
/// metadata are checked in SQL for everything returned, and several servers may share one database.
/// </summary>
public sealed class PostgresMemoryStore : IMemoryStore, IAsyncDisposable
{
    private const string HistoryInsertColumns =
        "id, tenant, memory_id, old_memory, new_memory, event, actor, role, source_message_ids, created_at, is_deleted";

    private static readonly Version MinimumPgvector = new(0, 8, 0);

    private readonly int _dimensions;
    private readonly ILogger _logger;
    private readonly PostgresMigrator _migrator;
    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private readonly IPostgresSearchBackend _search;
    private volatile bool _initialized;

    /// <param name="search">Where searches run; <see cref="PostgresSearchMode.InProcess"/> unless configured.</param>
    /// <param name="indexes">The database indexes' settings (used by <see cref="PostgresSearchMode.Database"/>; defaults when null).</param>
    public PostgresMemoryStore(
        string connectionString, int embeddingDimensions, ILoggerFactory loggerFactory,
        PostgresSearchMode search = PostgresSearchMode.InProcess, PostgresIndexOptions? indexes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimensions, 1);
        indexes ??= new PostgresIndexOptions();
        var problems = indexes.Validate($"{StorageOptions.SectionName}:{PostgresIndexOptions.SectionName}").ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(indexes));
        }

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        builder.UseLoggerFactory(loggerFactory);
        DataSource = builder.Build();
        _dimensions = embeddingDimensions;
        _logger = loggerFactory.CreateLogger<PostgresMemoryStore>();
        _migrator = new PostgresMigrator(DataSource, embeddingDimensions, loggerFactory.CreateLogger<PostgresMigrator>());
        SearchMode = search;
        _search = search switch
        {
            PostgresSearchMode.InProcess => new PostgresInProcessSearch(DataSource, embeddingDimensions, _logger),
            PostgresSearchMode.Database => new PostgresDatabaseSearch(DataSource, embeddingDimensions, indexes, _logger),
            _ => throw new ArgumentOutOfRangeException(nameof(search), search, "Unknown PostgreSQL search mode."),
        };
    }

    public string Name => "postgres";

    /// <summary>Where this store's searches run.</summary>
    public PostgresSearchMode SearchMode { get; }

    /// <summary>The HNSW, IVFFlat and GIN indexes on memories, by name (what the Database search reads; whoever made them).</summary>
    public async Task<IReadOnlyList<string>> ListSearchIndexesAsync(CancellationToken cancellationToken) =>
        [.. (await PostgresSearchIndexes.FindAsync(DataSource, cancellationToken)).Select(index => index.Name)];

    /// <summary>The database search backend, when <see cref="SearchMode"/> is Database (for plan tests).</summary>
    internal PostgresDatabaseSearch? DatabaseSearch => _search as PostgresDatabaseSearch;

    /// <summary>The pool this store uses (shared with its migrator).</summary>
    public NpgsqlDataSource DataSource { get; }

    public PostgresMigrator Migrator => _migrator;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initializeLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            await _migrator.MigrateAsync(cancellationToken);
            await CheckSchemaAsync(cancellationToken);
            await _search.InitializeAsync(cancellationToken);
            _initialized = true;
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = DataSource.CreateCommand("SELECT 1");
            return await command.ExecuteScalarAsync(cancellationToken) is 1;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            _logger.LogWarning(exception, "PostgreSQL ping failed");
            return false;
        }
    }

    public async Task AddAsync(IReadOnlyList<MemoryRecord> memories, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Batch(memories, _dimensions);
        if (memories.Count == 0)
        {
            return;
        }

        await InitializeAsync(cancellationToken);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var writer = await connection.BeginBinaryImportAsync(
                "COPY memories (tenant, id, user_id, agent_id, run_id, text, hash, embedding, metadata, source_message_ids, role, created_at, updated_at, invalid_at, superseded_by) FROM STDIN (FORMAT BINARY)",
                cancellationToken))
            {
                foreach (var memory in memories)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(memory.Tenant, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(memory.Id, NpgsqlDbType.Text, cancellationToken);
                    await WriteNullableAsync(writer, memory.Scope.UserId, cancellationToken);
                    await WriteNullableAsync(writer, memory.Scope.AgentId, cancellationToken);
                    await WriteNullableAsync(writer, memory.Scope.RunId, cancellationToken);
                    await writer.WriteAsync(memory.Text, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(memory.Hash, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(new Vector(memory.Embedding), "vector", cancellationToken);
                    await writer.WriteAsync(MetadataJson.Serialize(memory.Metadata), NpgsqlDbType.Jsonb, cancellationToken);
                    await writer.WriteAsync(memory.SourceMessageIds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                    await WriteNullableAsync(writer, memory.Role, cancellationToken);
                    await writer.WriteAsync(StoredTime.Normalize(memory.CreatedAt), NpgsqlDbType.TimestampTz, cancellationToken);
                    await WriteNullableTimeAsync(writer, memory.UpdatedAt, cancellationToken);
                    await WriteNullableTimeAsync(writer, memory.InvalidAt, cancellationToken);
                    await WriteNullableAsync(writer, memory.SupersededBy, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            var now = StoredTime.Now();
            await using (var writer = await connection.BeginBinaryImportAsync(
                $"COPY memory_history ({HistoryInsertColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var memory in memories)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(Guid.NewGuid().ToString(), NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(memory.Tenant, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(memory.Id, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteNullAsync(cancellationToken);
                    await writer.WriteAsync(memory.Text, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(HistoryEventNames.ToStored(MemoryEvent.Add), NpgsqlDbType.Text, cancellationToken);
                    await WriteNullableAsync(writer, actor, cancellationToken);
                    await WriteNullableAsync(writer, memory.Role, cancellationToken);
                    await writer.WriteAsync(memory.SourceMessageIds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ArgumentException("A memory with one of these ids already exists for its tenant; nothing was stored.", nameof(memories), exception);
        }

        await _search.AfterWriteAsync(memories.Select(memory => memory.Tenant).Distinct(StringComparer.Ordinal), memories.Count, cancellationToken);
    }

    public async Task<MemoryRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand($"SELECT {PostgresRecords.Columns} FROM memories WHERE tenant = @tenant AND id = @id");
        command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        command.Parameters.AddWithValue("id", NpgsqlDbType.Text, id);
        var records = await ReadRecordsAsync(command, cancellationToken);
        return records.Count == 0 ? null : records[0];
    }

    public async Task<IReadOnlyList<MemoryRecord>> ListAsync(
        string tenant, MemoryScope scope, MetadataFilter filter, int limit, bool includeInvalid, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        StoreArguments.Filter(filter);
        StoreArguments.Limit(limit, StoreArguments.MaxListLimit);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand();
        var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope) + PostgresConditions.Metadata(command.Parameters, filter)
            + (includeInvalid ? string.Empty : " AND invalid_at IS NULL");
        command.CommandText = $"SELECT {PostgresRecords.Columns} FROM memories WHERE {where} ORDER BY created_at DESC, id DESC LIMIT @limit";
        command.Parameters.AddWithValue("limit", NpgsqlDbType.Integer, limit);
        return await ReadRecordsAsync(command, cancellationToken);
    }

    public async Task<MemoryRecord?> UpdateAsync(
        string tenant, string id, MemoryUpdate update, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        StoreArguments.Update(update, _dimensions);
        await InitializeAsync(cancellationToken);

        // One statement: lock the row, read its old text, update it and write the history row atomically.
        var sql = $"""
            WITH old AS (
                SELECT tenant, id, text FROM memories WHERE tenant = @tenant AND id = @id FOR UPDATE
            ), updated AS (
                UPDATE memories m SET
                    text = @text, hash = @hash, embedding = @embedding,
                    metadata = COALESCE(@metadata, m.metadata),
                    source_message_ids = COALESCE(@source_ids, m.source_message_ids),
                    invalid_at = COALESCE(@invalid_at, m.invalid_at),
                    superseded_by = COALESCE(@superseded_by, m.superseded_by),
                    updated_at = @now
                FROM old WHERE m.tenant = old.tenant AND m.id = old.id
                RETURNING old.text AS old_text, {PostgresRecords.ColumnsOf("m")}
            ), history AS (
                INSERT INTO memory_history ({HistoryInsertColumns})
                SELECT @history_id, tenant, id, old_text, text, 'UPDATE', @actor, role, source_message_ids, @now, false FROM updated
            )
            SELECT {PostgresRecords.Columns} FROM updated
            """;
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        command.Parameters.AddWithValue("id", NpgsqlDbType.Text, id);
        command.Parameters.AddWithValue("text", NpgsqlDbType.Text, update.Text);
        command.Parameters.AddWithValue("hash", NpgsqlDbType.Text, update.Hash);
        command.Parameters.Add(new NpgsqlParameter { ParameterName = "embedding", Value = new Vector(update.Embedding) });
        command.Parameters.AddWithValue("metadata", NpgsqlDbType.Jsonb, update.Metadata is null ? DBNull.Value : MetadataJson.Serialize(update.Metadata));
        command.Parameters.AddWithValue(
            "source_ids", NpgsqlDbType.Array | NpgsqlDbType.Text, update.SourceMessageIds is null ? DBNull.Value : update.SourceMessageIds.ToArray());
        command.Parameters.AddWithValue("invalid_at", NpgsqlDbType.TimestampTz, StoredTime.Normalize(update.InvalidAt) is { } invalidAt ? invalidAt : DBNull.Value);
        command.Parameters.AddWithValue("superseded_by", NpgsqlDbType.Text, (object?)update.SupersededBy ?? DBNull.Value);
        command.Parameters.AddWithValue("now", NpgsqlDbType.TimestampTz, StoredTime.Now());
        command.Parameters.AddWithValue("history_id", NpgsqlDbType.Text, Guid.NewGuid().ToString());
        command.Parameters.AddWithValue("actor", NpgsqlDbType.Text, (object?)actor ?? DBNull.Value);
        var records = await ReadRecordsAsync(command, cancellationToken);
        await _search.AfterWriteAsync([tenant], records.Count, cancellationToken);
        return records.Count == 0 ? null : records[0];
    }

    public async Task<bool> DeleteAsync(string tenant, string id, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand(DeleteSql("tenant = @tenant AND id = @id"));
        command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        command.Parameters.AddWithValue("id", NpgsqlDbType.Text, id);
        AddDeleteParameters(command, actor);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        await _search.AfterWriteAsync([tenant], deleted ? 1 : 0, cancellationToken);
        return deleted;
    }

    public async Task<int> DeleteScopeAsync(string tenant, MemoryScope scope, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand();
        command.CommandText = DeleteSql(PostgresConditions.TenantAndScope(command.Parameters, tenant, scope));
        AddDeleteParameters(command, actor);
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        await _search.AfterWriteAsync([tenant], deleted, cancellationToken);
        return deleted;
    }

    public async Task ResetAsync(string tenant, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        await InitializeAsync(cancellationToken);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM memories WHERE tenant = @tenant") { Parameters = { new("tenant", tenant) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM memory_history WHERE tenant = @tenant") { Parameters = { new("tenant", tenant) } });
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await _search.AfterResetAsync(tenant, cancellationToken);
        _logger.LogInformation("Reset tenant {Tenant}", tenant);
    }

    public async Task<IReadOnlyList<MemoryHistoryEntry>> GetHistoryAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand(
            $"SELECT {PostgresRecords.HistoryColumns} FROM memory_history WHERE tenant = @tenant AND memory_id = @id ORDER BY seq");
        command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        command.Parameters.AddWithValue("id", NpgsqlDbType.Text, id);
        var entries = new List<MemoryHistoryEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(PostgresRecords.ReadHistory(reader));
        }

        return entries;
    }

    public async Task<IReadOnlyList<MemoryRecord>> FindByHashAsync(
        string tenant, MemoryScope scope, string hash, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        ArgumentException.ThrowIfNullOrEmpty(hash);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand();
        var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope);
        command.CommandText = $"SELECT {PostgresRecords.Columns} FROM memories WHERE {where} AND hash = @hash AND invalid_at IS NULL ORDER BY created_at, id";
        command.Parameters.AddWithValue("hash", NpgsqlDbType.Text, hash);
        return await ReadRecordsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<MemoryRecord>> FindByHashesAsync(
        string tenant, MemoryScope scope, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        StoreArguments.Hashes(hashes);
        if (hashes.Count == 0)
        {
            return [];
        }

        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand();
        var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope);
        command.CommandText = $"SELECT {PostgresRecords.Columns} FROM memories WHERE {where} AND hash = ANY(@hashes) AND invalid_at IS NULL ORDER BY created_at, id";
        command.Parameters.AddWithValue("hashes", NpgsqlDbType.Array | NpgsqlDbType.Text, hashes.Distinct(StringComparer.Ordinal).ToArray());
        return await ReadRecordsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchByVectorAsync(
        string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        StoreArguments.Embedding(query.Span, _dimensions, nameof(query));
        StoreArguments.Filter(filter);
        StoreArguments.Limit(limit, StoreArguments.MaxSearchLimit);
        await InitializeAsync(cancellationToken);
        return await _search.SearchByVectorAsync(tenant, scope, query, filter, limit, cancellationToken);
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchByTextAsync(
        string tenant, MemoryScope scope, string query, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        StoreArguments.Filter(filter);
        StoreArguments.Limit(limit, StoreArguments.MaxSearchLimit);
        var words = TextQueryTerms.Extract(query);
        if (words.Count == 0)
        {
            return [];
        }

        await InitializeAsync(cancellationToken);
        return await _search.SearchByTextAsync(tenant, scope, words, filter, limit, cancellationToken);
    }

    public async Task ApplyAsync(string tenant, IReadOnlyList<MemoryOperation> operations, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Operations(tenant, operations, _dimensions);
        if (operations.Count == 0)
        {
            return;
        }

        await InitializeAsync(cancellationToken);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await PostgresOperations.ApplyAsync(connection, transaction, tenant, operations, actor, cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ArgumentException("A memory with one of these ids already exists for its tenant; nothing was applied.", nameof(operations), exception);
        }

        await transaction.CommitAsync(cancellationToken);
        await _search.AfterWriteAsync([tenant], operations.Count, cancellationToken);
    }

    public async Task<IReadOnlyList<MemoryRecord>> ListValidAtAsync(
        string tenant, MemoryScope scope, MetadataFilter filter, DateTimeOffset asOf, int limit, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        StoreArguments.Filter(filter);
        StoreArguments.Limit(limit, StoreArguments.MaxListLimit);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand();
        var where = PostgresConditions.TenantAndScope(command.Parameters, tenant, scope) + PostgresConditions.Metadata(command.Parameters, filter);
        command.CommandText = $"""
            SELECT {PostgresRecords.Columns} FROM memories
            WHERE {where} AND created_at <= @as_of AND (invalid_at IS NULL OR invalid_at > @as_of)
            ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        command.Parameters.AddWithValue("as_of", NpgsqlDbType.TimestampTz, StoredTime.Normalize(asOf));
        command.Parameters.AddWithValue("limit", NpgsqlDbType.Integer, limit);
        return await ReadRecordsAsync(command, cancellationToken);
    }

    public async Task<long> CountAsync(string tenant, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        await InitializeAsync(cancellationToken);
        await using var command = DataSource.CreateCommand("SELECT count(*) FROM memories WHERE tenant = @tenant");
        command.Parameters.AddWithValue("tenant", NpgsqlDbType.Text, tenant);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        // The search first: it may still be analyzing through the pool.
        await _search.DisposeAsync();
        await DataSource.DisposeAsync();
        _initializeLock.Dispose();
    }

    private async Task CheckSchemaAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand("""
            SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector'),
                   (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = to_regclass('memories') AND attname = 'embedding' AND NOT attisdropped)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var extensionVersion = reader.IsDBNull(0) ? null : reader.GetString(0);
        var columnType = reader.IsDBNull(1) ? null : reader.GetString(1);
        if (extensionVersion is null || !Version.TryParse(extensionVersion, out var version) || version < MinimumPgvector)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL database has pgvector {extensionVersion ?? "(not installed)"}; this store needs {MinimumPgvector} or later.");
        }

        var expected = $"vector({_dimensions})";
        if (!string.Equals(columnType, expected, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"memories.embedding is {columnType ?? "missing"} but Storage:EmbeddingDimensions is {_dimensions} ({expected}). " +
                "Set Storage:EmbeddingDimensions (and the embedder) to the database's dimension, or use a new database and re-add the memories.");
        }

        _logger.LogInformation("PostgreSQL memory store ready (pgvector {Version}, {Column})", extensionVersion, columnType);
    }

    private static string DeleteSql(string where) => $"""
        WITH deleted AS (
            DELETE FROM memories WHERE {where} RETURNING tenant, id, text, role, source_message_ids
        )
        INSERT INTO memory_history ({HistoryInsertColumns})
        SELECT gen_random_uuid()::text, tenant, id, text, NULL, 'DELETE', @actor, role, source_message_ids, @now, true FROM deleted
        """;

    private static void AddDeleteParameters(NpgsqlCommand command, string actor)
    {
        command.Parameters.AddWithValue("actor", NpgsqlDbType.Text, (object?)actor ?? DBNull.Value);
        command.Parameters.AddWithValue("now", NpgsqlDbType.TimestampTz, StoredTime.Now());
    }

    private static async Task<IReadOnlyList<MemoryRecord>> ReadRecordsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var records = new List<MemoryRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(PostgresRecords.Read(reader));
        }

        return records;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteNullableTimeAsync(NpgsqlBinaryImporter writer, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } time ? writer.WriteAsync(StoredTime.Normalize(time), NpgsqlDbType.TimestampTz, cancellationToken) : writer.WriteNullAsync(cancellationToken);
}
