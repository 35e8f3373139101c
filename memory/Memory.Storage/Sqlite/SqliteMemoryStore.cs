using System.Text.Json;
using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Memory.Storage.Text;
using Memory.Storage.Vectors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Memory.Storage.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode (readers run beside the single writer), embeddings as float32
/// blobs, and two in-process indexes per tenant, quantised vectors and BM25 postings, loaded when the store opens and
/// kept in step with the file by its change log (<see cref="SqliteChangeFeed"/>), so several store instances, in one
/// process or several, may share a file. Writes of one instance are serialised by one lock.
/// </summary>
public sealed class SqliteMemoryStore : IMemoryStore, IAsyncDisposable, IDisposable
{
    private const int UniqueConstraintFailed = 2067;

    private readonly string _connectionString;
    private readonly int _dimensions;
    private readonly ILogger _logger;
    private readonly MemoryIndexes _indexes;
    private readonly SqliteChangeFeed _changes;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private volatile bool _initialized;

    public SqliteMemoryStore(string path, int embeddingDimensions, ILogger<SqliteMemoryStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimensions, 1);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _dimensions = embeddingDimensions;
        _logger = logger;
        _indexes = new MemoryIndexes(embeddingDimensions);
        _changes = new SqliteChangeFeed(_indexes, embeddingDimensions);
    }

    public string Name => "sqlite";

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

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

            var directory = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            await using var connection = await OpenAsync(cancellationToken);
            SqliteSchema.Apply(connection, _dimensions);
            var loaded = await _changes.LoadAsync(connection, cancellationToken);
            _initialized = true;
            _logger.LogInformation("SQLite memory store ready at {Path} ({Count} memories indexed)", Path, loaded);
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
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (SqliteException exception)
        {
            _logger.LogWarning(exception, "SQLite ping failed");
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
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using (var connection = await OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO memories (tenant, id, user_id, agent_id, run_id, text, hash, embedding, metadata, source_message_ids,
                                          role, created_at, updated_at, invalid_at, superseded_by)
                    VALUES ($tenant, $id, $user_id, $agent_id, $run_id, $text, $hash, $embedding, $metadata, $source_ids,
                            $role, $created_at, $updated_at, $invalid_at, $superseded_by)
                    """;
                var p = AddParameters(insert, "$tenant", "$id", "$user_id", "$agent_id", "$run_id", "$text", "$hash", "$embedding",
                    "$metadata", "$source_ids", "$role", "$created_at", "$updated_at", "$invalid_at", "$superseded_by");
                await using var history = HistoryInsert(connection, transaction);
                var now = StoredTime.ToUnixMicroseconds(StoredTime.Now());
                try
                {
                    for (var i = 0; i < memories.Count; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var memory = memories[i];
                        p[0].Value = memory.Tenant;
                        p[1].Value = memory.Id;
                        p[2].Value = SqliteRecords.Nullable(memory.Scope.UserId);
                        p[3].Value = SqliteRecords.Nullable(memory.Scope.AgentId);
                        p[4].Value = SqliteRecords.Nullable(memory.Scope.RunId);
                        p[5].Value = memory.Text;
                        p[6].Value = memory.Hash;
                        p[7].Value = SqliteRecords.EmbeddingBlob(memory.Embedding);
                        p[8].Value = MetadataJson.Serialize(memory.Metadata);
                        p[9].Value = MetadataJson.SerializeIds(memory.SourceMessageIds);
                        p[10].Value = SqliteRecords.Nullable(memory.Role);
                        p[11].Value = StoredTime.ToUnixMicroseconds(StoredTime.Normalize(memory.CreatedAt));
                        p[12].Value = SqliteRecords.Nullable(memory.UpdatedAt);
                        p[13].Value = SqliteRecords.Nullable(memory.InvalidAt);
                        p[14].Value = SqliteRecords.Nullable(memory.SupersededBy);
                        await insert.ExecuteNonQueryAsync(cancellationToken);
                        SetHistory(history, memory.Tenant, memory.Id, null, memory.Text, MemoryEvent.Add, actor, memory.Role, memory.SourceMessageIds, now, false);
                        await history.ExecuteNonQueryAsync(cancellationToken);
                    }
                }
                catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == UniqueConstraintFailed)
                {
                    throw new ArgumentException("A memory with one of these ids already exists for its tenant; nothing was stored.", nameof(memories), exception);
                }

                await transaction.CommitAsync(cancellationToken);
                await _changes.CatchUpAsync(connection, cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<MemoryRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SqliteRecords.Columns} FROM memories m WHERE m.tenant = $tenant AND m.id = $id";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", id);
        var records = await ReadRecordsAsync(command, MetadataFilter.None, 1, cancellationToken);
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
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = SqliteConditions.TenantAndScope(command, tenant, scope) + SqliteConditions.MetadataPrefilter(command, filter)
            + (includeInvalid ? string.Empty : " AND m.invalid_at IS NULL");

        // With a metadata filter rows are streamed and checked here until enough pass, so no SQL LIMIT then.
        command.CommandText = $"SELECT {SqliteRecords.Columns} FROM memories m WHERE {where} ORDER BY m.created_at DESC, m.id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", filter.IsEmpty ? limit : -1);
        return await ReadRecordsAsync(command, filter, limit, cancellationToken);
    }

    public async Task<MemoryRecord?> UpdateAsync(
        string tenant, string id, MemoryUpdate update, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        StoreArguments.Update(update, _dimensions);
        await InitializeAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            MemoryRecord? updated;
            long row;
            await using (var connection = await OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                string oldText;
                await using (var find = connection.CreateCommand())
                {
                    find.Transaction = transaction;
                    find.CommandText = "SELECT seq, text FROM memories WHERE tenant = $tenant AND id = $id";
                    find.Parameters.AddWithValue("$tenant", tenant);
                    find.Parameters.AddWithValue("$id", id);
                    await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                    if (!await reader.ReadAsync(cancellationToken))
                    {
                        return null;
                    }

                    row = reader.GetInt64(0);
                    oldText = reader.GetString(1);
                }

                var now = StoredTime.ToUnixMicroseconds(StoredTime.Now());
                await using (var change = connection.CreateCommand())
                {
                    change.Transaction = transaction;
                    change.CommandText = """
                        UPDATE memories SET
                            text = $text, hash = $hash, embedding = $embedding,
                            metadata = COALESCE($metadata, metadata),
                            source_message_ids = COALESCE($source_ids, source_message_ids),
                            invalid_at = COALESCE($invalid_at, invalid_at),
                            superseded_by = COALESCE($superseded_by, superseded_by),
                            updated_at = $now
                        WHERE seq = $seq
                        """;
                    change.Parameters.AddWithValue("$text", update.Text);
                    change.Parameters.AddWithValue("$hash", update.Hash);
                    change.Parameters.AddWithValue("$embedding", SqliteRecords.EmbeddingBlob(update.Embedding));
                    change.Parameters.AddWithValue("$metadata", update.Metadata is null ? DBNull.Value : MetadataJson.Serialize(update.Metadata));
                    change.Parameters.AddWithValue("$source_ids", update.SourceMessageIds is null ? DBNull.Value : MetadataJson.SerializeIds(update.SourceMessageIds));
                    change.Parameters.AddWithValue("$invalid_at", SqliteRecords.Nullable(update.InvalidAt));
                    change.Parameters.AddWithValue("$superseded_by", SqliteRecords.Nullable(update.SupersededBy));
                    change.Parameters.AddWithValue("$now", now);
                    change.Parameters.AddWithValue("$seq", row);
                    await change.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var read = connection.CreateCommand())
                {
                    read.Transaction = transaction;
                    read.CommandText = $"SELECT {SqliteRecords.Columns} FROM memories m WHERE m.seq = $seq";
                    read.Parameters.AddWithValue("$seq", row);
                    updated = (await ReadRecordsAsync(read, MetadataFilter.None, 1, cancellationToken))[0];
                }

                await using (var history = HistoryInsert(connection, transaction))
                {
                    SetHistory(history, tenant, id, oldText, updated.Text, MemoryEvent.Update, actor, updated.Role, updated.SourceMessageIds, now, false);
                    await history.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                await _changes.CatchUpAsync(connection, cancellationToken);
            }

            return updated;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<bool> DeleteAsync(string tenant, string id, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        await InitializeAsync(cancellationToken);
        return await DeleteWhereAsync(tenant, actor, command =>
        {
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            return "m.tenant = $tenant AND m.id = $id";
        }, cancellationToken) > 0;
    }

    public async Task<int> DeleteScopeAsync(string tenant, MemoryScope scope, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        await InitializeAsync(cancellationToken);
        return await DeleteWhereAsync(tenant, actor, command => SqliteConditions.TenantAndScope(command, tenant, scope), cancellationToken);
    }

    public async Task ResetAsync(string tenant, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        await InitializeAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using (var connection = await OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "DELETE FROM memories WHERE tenant = $tenant; DELETE FROM memory_history WHERE tenant = $tenant;";
                command.Parameters.AddWithValue("$tenant", tenant);
                await command.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                await _indexes.ForgetTenantAsync(tenant, cancellationToken);
                await _changes.CatchUpAsync(connection, cancellationToken);
            }

            _logger.LogInformation("Reset tenant {Tenant}", tenant);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<IReadOnlyList<MemoryHistoryEntry>> GetHistoryAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Id(id);
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SqliteRecords.HistoryColumns} FROM memory_history WHERE tenant = $tenant AND memory_id = $id ORDER BY seq";
        command.Parameters.AddWithValue("$tenant", tenant);
        command.Parameters.AddWithValue("$id", id);
        var entries = new List<MemoryHistoryEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(SqliteRecords.ReadHistory(reader));
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
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = SqliteConditions.TenantAndScope(command, tenant, scope);

        // INDEXED BY: without statistics SQLite prefers the scope index for the ORDER BY and reads the whole scope.
        command.CommandText = $"""
            SELECT {SqliteRecords.Columns} FROM memories m INDEXED BY memories_hash_idx
            WHERE {where} AND m.hash = $hash AND m.invalid_at IS NULL ORDER BY m.created_at, m.id
            """;
        command.Parameters.AddWithValue("$hash", hash);
        return await ReadRecordsAsync(command, MetadataFilter.None, int.MaxValue, cancellationToken);
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
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = SqliteConditions.TenantAndScope(command, tenant, scope);

        // One (tenant, hash) index lookup per distinct hash: json_each is the outer loop.
        command.CommandText = $"""
            SELECT {SqliteRecords.Columns}
            FROM json_each($hashes) AS wanted CROSS JOIN memories m INDEXED BY memories_hash_idx ON m.tenant = $tenant AND m.hash = wanted.value
            WHERE {where} AND m.invalid_at IS NULL ORDER BY m.created_at, m.id
            """;
        command.Parameters.AddWithValue("$hashes", JsonSerializer.Serialize(hashes.Distinct(StringComparer.Ordinal)));
        return await ReadRecordsAsync(command, MetadataFilter.None, int.MaxValue, cancellationToken);
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

        // The index scan picks candidates; exact cosine on the stored floats decides. Twice the limit is plenty
        // for the quantisation error (measured on 100K hashing embeddings: the int8 top 116 held all of the exact
        // top 100); a metadata filter may reject candidates, so then ask for more and widen on retry.
        var candidates = filter.IsEmpty ? (limit * 2) + 16 : (limit * 8) + 64;
        await using var connection = await OpenAsync(cancellationToken);

        // One read transaction: the rows re-ranked and the rows then read whole come from the same snapshot.
        await using var snapshot = connection.BeginTransaction(deferred: true);
        await _changes.CatchUpAsync(connection, cancellationToken);
        while (true)
        {
            var hits = _indexes.Vectors.Search(tenant, scope, query.Span, candidates);
            if (hits.Count == 0)
            {
                return [];
            }

            var (best, passed) = await RerankAsync(connection, tenant, scope, query, filter, hits, limit, cancellationToken);
            if (passed >= limit || hits.Count < candidates)
            {
                var records = await LoadRecordsAsync(connection, tenant, best.Select(hit => hit.Row), cancellationToken);
                return best.Where(hit => records.ContainsKey(hit.Row)).Select(hit => new ScoredMemory(records[hit.Row], hit.Score)).ToList();
            }

            candidates *= 4;
        }
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

        var terms = IndexedText.QueryTerms(words);
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var snapshot = connection.BeginTransaction(deferred: true);
        await _changes.CatchUpAsync(connection, cancellationToken);

        // A metadata filter may reject the best-ranked rows: then rank more, and widen until enough pass.
        var candidates = filter.IsEmpty ? limit : (limit * 8) + 64;
        while (true)
        {
            var hits = _indexes.Texts.Search(tenant, scope, terms, candidates);
            if (hits.Count == 0)
            {
                return [];
            }

            var passing = filter.IsEmpty ? hits : await PassingAsync(connection, tenant, scope, filter, hits, limit, cancellationToken);
            if (passing.Count >= limit || hits.Count < candidates)
            {
                // The file is the truth: a row must still be valid and in the scope when it is read whole.
                var records = await LoadRecordsAsync(connection, tenant, passing.Select(hit => hit.Row), cancellationToken);
                return passing
                    .Where(hit => records.TryGetValue(hit.Row, out var record)
                        && record.InvalidAt is null && scope.Matches(record.Scope) && (filter.IsEmpty || filter.Matches(record.Metadata)))
                    .Select(hit => new ScoredMemory(records[hit.Row], hit.Score))
                    .ToList();
            }

            candidates *= 4;
        }
    }

    public async Task ApplyAsync(string tenant, IReadOnlyList<MemoryOperation> operations, string actor, CancellationToken cancellationToken)
    {
        StoreArguments.Operations(tenant, operations, _dimensions);
        if (operations.Count == 0)
        {
            return;
        }

        await InitializeAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using (var connection = await OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                try
                {
                    await SqliteOperations.ApplyAsync(connection, transaction, tenant, operations, actor, cancellationToken);
                }
                catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == UniqueConstraintFailed)
                {
                    throw new ArgumentException("A memory with one of these ids already exists for its tenant; nothing was applied.", nameof(operations), exception);
                }

                await transaction.CommitAsync(cancellationToken);
                await _changes.CatchUpAsync(connection, cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<IReadOnlyList<MemoryRecord>> ListValidAtAsync(
        string tenant, MemoryScope scope, MetadataFilter filter, DateTimeOffset asOf, int limit, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        StoreArguments.Scope(scope);
        StoreArguments.Filter(filter);
        StoreArguments.Limit(limit, StoreArguments.MaxListLimit);
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = SqliteConditions.TenantAndScope(command, tenant, scope) + SqliteConditions.MetadataPrefilter(command, filter)
            + " AND m.created_at <= $as_of AND (m.invalid_at IS NULL OR m.invalid_at > $as_of)";
        command.CommandText = $"SELECT {SqliteRecords.Columns} FROM memories m WHERE {where} ORDER BY m.created_at DESC, m.id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$as_of", StoredTime.ToUnixMicroseconds(StoredTime.Normalize(asOf)));
        command.Parameters.AddWithValue("$limit", filter.IsEmpty ? limit : -1);
        return await ReadRecordsAsync(command, filter, limit, cancellationToken);
    }

    public async Task<long> CountAsync(string tenant, CancellationToken cancellationToken)
    {
        StoreArguments.Tenant(tenant);
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM memories WHERE tenant = $tenant";
        command.Parameters.AddWithValue("$tenant", tenant);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        // Pooled connections keep the file (and its WAL) open; release them so the file can be moved or reopened.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _indexes.Dispose();
        _writeLock.Dispose();
        _initializeLock.Dispose();
    }

    private async Task<int> DeleteWhereAsync(
        string tenant, string actor, Func<SqliteCommand, string> where, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var deleted = 0;
            await using (var connection = await OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                var victims = new List<(long Row, string Id, string Text, string? Role, IReadOnlyList<string> Sources)>();
                await using (var find = connection.CreateCommand())
                {
                    find.Transaction = transaction;
                    find.CommandText = $"SELECT m.seq, m.id, m.text, m.role, m.source_message_ids FROM memories m WHERE {where(find)}";
                    await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        victims.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                            reader.IsDBNull(3) ? null : reader.GetString(3), MetadataJson.DeserializeIds(reader.GetString(4))));
                    }
                }

                if (victims.Count == 0)
                {
                    return 0;
                }

                var now = StoredTime.ToUnixMicroseconds(StoredTime.Now());
                await using var remove = connection.CreateCommand();
                remove.Transaction = transaction;
                remove.CommandText = "DELETE FROM memories WHERE seq = $seq";
                var seq = remove.Parameters.Add("$seq", SqliteType.Integer);
                await using var history = HistoryInsert(connection, transaction);
                foreach (var victim in victims)
                {
                    seq.Value = victim.Row;
                    await remove.ExecuteNonQueryAsync(cancellationToken);
                    SetHistory(history, tenant, victim.Id, victim.Text, null, MemoryEvent.Delete, actor, victim.Role, victim.Sources, now, true);
                    await history.ExecuteNonQueryAsync(cancellationToken);
                    deleted++;
                }

                await transaction.CommitAsync(cancellationToken);
                await _changes.CatchUpAsync(connection, cancellationToken);
            }

            return deleted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Exact cosine of every candidate that still passes the conditions in the file (the file is the truth: a row
    /// changed since the index saw it must still pass), reading only the embedding and what the checks need.
    /// </summary>
    /// <returns>The best <paramref name="limit"/> rows with their cosine, best first, and how many candidates passed.</returns>
    private async Task<(List<(long Row, double Score)> Best, int Passed)> RerankAsync(
        SqliteConnection connection, string tenant, MemoryScope scope, ReadOnlyMemory<float> query, MetadataFilter filter,
        IReadOnlyList<(long Row, float Score)> hits, int limit, CancellationToken cancellationToken)
    {
        var scored = new List<(long Row, double Score)>(hits.Count);
        await using (var command = connection.CreateCommand())
        {
            var conditions = SqliteConditions.TenantAndScope(command, tenant, scope) + SqliteConditions.MetadataPrefilter(command, filter);

            // CROSS JOIN keeps json_each as the outer loop: one primary-key lookup per candidate.
            command.CommandText = $"""
                SELECT m.seq, m.embedding, {(filter.IsEmpty ? "NULL" : "m.metadata")}
                FROM json_each($rows) AS wanted CROSS JOIN memories m ON m.seq = wanted.value
                WHERE {conditions} AND m.invalid_at IS NULL
                """;
            command.Parameters.AddWithValue("$rows", "[" + string.Join(",", hits.Select(hit => hit.Row)) + "]");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!filter.IsEmpty && !filter.Matches(MetadataJson.Deserialize(reader.GetString(2))))
                {
                    continue;
                }

                // GetFieldValue<byte[]> copies the column; GetBytes would open an incremental blob handle (one more
                // b-tree seek) per row.
                var blob = reader.GetFieldValue<byte[]>(1);
                if (blob.Length != _dimensions * sizeof(float))
                {
                    throw new InvalidDataException($"Memory row {reader.GetInt64(0)} has an embedding of {blob.Length} bytes; expected {_dimensions * sizeof(float)}.");
                }

                scored.Add((reader.GetInt64(0), Int8Vectors.Cosine(query.Span, Int8Vectors.AsFloats(blob))));
            }
        }

        // Equal cosines (the same vector stored twice) go newest row first, whatever order the candidates came in.
        scored.Sort((a, b) => a.Score == b.Score ? b.Row.CompareTo(a.Row) : b.Score.CompareTo(a.Score));
        var passed = scored.Count;
        if (scored.Count > limit)
        {
            scored.RemoveRange(limit, scored.Count - limit);
        }

        return (scored, passed);
    }

    /// <summary>The first <paramref name="limit"/> of the ranked rows that are valid, in the scope and pass the filter, in rank order.</summary>
    private static async Task<List<(long Row, double Score)>> PassingAsync(
        SqliteConnection connection, string tenant, MemoryScope scope, MetadataFilter filter, List<(long Row, double Score)> ranked, int limit,
        CancellationToken cancellationToken)
    {
        var passed = new HashSet<long>();
        await using (var command = connection.CreateCommand())
        {
            var conditions = SqliteConditions.TenantAndScope(command, tenant, scope) + SqliteConditions.MetadataPrefilter(command, filter);

            // CROSS JOIN keeps json_each as the outer loop: one primary-key lookup per candidate.
            command.CommandText = $"""
                SELECT m.seq, m.metadata FROM json_each($rows) AS wanted CROSS JOIN memories m ON m.seq = wanted.value
                WHERE {conditions} AND m.invalid_at IS NULL
                """;
            command.Parameters.AddWithValue("$rows", "[" + string.Join(",", ranked.Select(hit => hit.Row)) + "]");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (filter.Matches(MetadataJson.Deserialize(reader.GetString(1))))
                {
                    passed.Add(reader.GetInt64(0));
                }
            }
        }

        return ranked.Where(hit => passed.Contains(hit.Row)).Take(limit).ToList();
    }

    /// <summary>Records of the given rows of one tenant, by row; rows of other tenants or gone since are absent.</summary>
    private static async Task<Dictionary<long, MemoryRecord>> LoadRecordsAsync(
        SqliteConnection connection, string tenant, IEnumerable<long> rows, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();

        // CROSS JOIN keeps json_each as the outer loop: one primary-key lookup per wanted row.
        command.CommandText = $"""
            SELECT {SqliteRecords.Columns} FROM json_each($rows) AS wanted CROSS JOIN memories m ON m.seq = wanted.value
            WHERE m.tenant = $tenant
            """;
        command.Parameters.AddWithValue("$rows", "[" + string.Join(",", rows) + "]");
        command.Parameters.AddWithValue("$tenant", tenant);
        var records = new Dictionary<long, MemoryRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records[SqliteRecords.ReadRow(reader)] = SqliteRecords.Read(reader);
        }

        return records;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();

            // NORMAL is durable in WAL mode except for the last transactions on power loss, never corrupt.
            command.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<List<MemoryRecord>> ReadRecordsAsync(
        SqliteCommand command, MetadataFilter filter, int limit, CancellationToken cancellationToken)
    {
        var records = new List<MemoryRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (records.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            var record = SqliteRecords.Read(reader);
            if (filter.IsEmpty || filter.Matches(record.Metadata))
            {
                records.Add(record);
            }
        }

        return records;
    }

    private static SqliteParameter[] AddParameters(SqliteCommand command, params string[] names) =>
        // No declared type: each value binds as what it is (text, integer, blob or NULL).
        names.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();

    internal static SqliteCommand HistoryInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO memory_history ({SqliteRecords.HistoryColumns}, tenant)
            VALUES ($h_id, $h_memory_id, $h_old, $h_new, $h_event, $h_actor, $h_role, $h_sources, $h_created_at, $h_deleted, $h_tenant)
            """;
        AddParameters(command, "$h_id", "$h_memory_id", "$h_old", "$h_new", "$h_event", "$h_actor", "$h_role", "$h_sources",
            "$h_created_at", "$h_deleted", "$h_tenant");
        return command;
    }

    internal static void SetHistory(
        SqliteCommand history, string tenant, string memoryId, string? oldText, string? newText, MemoryEvent memoryEvent,
        string? actor, string? role, IReadOnlyList<string> sources, long createdAt, bool isDeleted)
    {
        var p = history.Parameters;
        p["$h_id"].Value = Guid.NewGuid().ToString();
        p["$h_memory_id"].Value = memoryId;
        p["$h_old"].Value = SqliteRecords.Nullable(oldText);
        p["$h_new"].Value = SqliteRecords.Nullable(newText);
        p["$h_event"].Value = HistoryEventNames.ToStored(memoryEvent);
        p["$h_actor"].Value = SqliteRecords.Nullable(actor);
        p["$h_role"].Value = SqliteRecords.Nullable(role);
        p["$h_sources"].Value = MetadataJson.SerializeIds(sources);
        p["$h_created_at"].Value = createdAt;
        p["$h_deleted"].Value = isDeleted ? 1 : 0;
        p["$h_tenant"].Value = tenant;
    }
}
