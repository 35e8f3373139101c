using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Memory.Storage.Postgres;

/// <summary>
/// The two indexes of <see cref="PostgresSearchMode.Database"/>, created by the store's initialiser (not by a migration:
/// a migration runs whatever the mode, and an InProcess deployment would pay the HNSW insert on every write for an
/// index it never reads).
/// <list type="bullet">
/// <item><see cref="VectorIndex"/>: pgvector HNSW with cosine distance over a half-precision copy of the embedding
/// (half the size of a float32 graph, neighbours equal to within rounding; the search re-ranks by the exact float32
/// cosine), partial on valid memories, as every search asks for them only.</item>
/// <item><see cref="TextIndex"/>: GIN over the expression to_tsvector(config, text), partial likewise. An expression index
/// instead of a generated tsvector column: adding a stored column rewrites the whole table under an exclusive lock and
/// then costs every write its tsvector in every mode, while the expression index is built once, costs nothing when it is
/// absent, and the search only recomputes the tsvector of the few rows it ranks.</item>
/// </list>
/// Creation is idempotent (CREATE INDEX IF NOT EXISTS) and serialised by an advisory lock per schema, in one transaction:
/// a build that fails leaves nothing behind, and a second starting server waits for the first's build, then finds it.
/// </summary>
internal static class PostgresSearchIndexes
{
    public const string VectorIndex = "memories_embedding_hnsw_idx";

    public const string TextIndex = "memories_text_gin_idx";

    /// <summary>More than the 64 MB default keeps a graph build over ~100K rows in memory instead of on disk.</summary>
    private const string BuildMemory = "256MB";

    /// <summary>The indexed text expression; the config is a checked plain name (<see cref="PostgresIndexOptions"/>).</summary>
    public static string TextVector(string config) => $"to_tsvector('{config}'::regconfig, text)";

    /// <summary>The indexed vector expression.</summary>
    public static string HalfVector(int dimensions) => $"(embedding::halfvec({dimensions.ToString(CultureInfo.InvariantCulture)}))";

    /// <summary>Every HNSW, IVFFlat or GIN index on memories, whoever made it.</summary>
    public static async Task<IReadOnlyList<PostgresSearchIndex>> FindAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, null, cancellationToken);
    }

    /// <summary>Creates whichever of the two indexes is missing and checks that existing ones fit the options.</summary>
    /// <returns>Whether an index was built (or rebuilt) now.</returns>
    public static async Task<bool> EnsureAsync(
        NpgsqlDataSource dataSource, int dimensions, PostgresIndexOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(
            connection, transaction, "SELECT pg_advisory_xact_lock(hashtext('memory.search_indexes:' || current_schema()))", cancellationToken);
        await CheckTextConfigAsync(connection, transaction, options.TextSearchConfig, cancellationToken);

        var existing = (await FindAsync(connection, transaction, cancellationToken)).ToDictionary(index => index.Name, StringComparer.Ordinal);
        var built = new List<string>();
        if (existing.TryGetValue(VectorIndex, out var vector))
        {
            CheckVectorIndex(vector, dimensions, options, logger);
        }
        else
        {
            await BuildAsync(
                connection, transaction, VectorIndex,
                $"""
                CREATE INDEX IF NOT EXISTS {VectorIndex} ON memories USING hnsw ({HalfVector(dimensions)} halfvec_cosine_ops)
                WITH (m = {options.HnswM.ToString(CultureInfo.InvariantCulture)}, ef_construction = {options.HnswEfConstruction.ToString(CultureInfo.InvariantCulture)})
                WHERE invalid_at IS NULL
                """,
                logger, cancellationToken);
            built.Add(VectorIndex);
        }

        if (existing.TryGetValue(TextIndex, out var text))
        {
            CheckTextIndex(text, options.TextSearchConfig);
        }
        else
        {
            await BuildAsync(
                connection, transaction, TextIndex,
                $"CREATE INDEX IF NOT EXISTS {TextIndex} ON memories USING gin ({TextVector(options.TextSearchConfig)}) WHERE invalid_at IS NULL",
                logger, cancellationToken);
            built.Add(TextIndex);
        }

        // An index left invalid (a failed CREATE INDEX CONCURRENTLY made by hand) is never used by a plan: rebuild it.
        foreach (var invalid in existing.Values.Where(index => !index.IsValid && index.Name is VectorIndex or TextIndex))
        {
            logger.LogWarning("PostgreSQL search index {Index} is invalid (an interrupted build); rebuilding it", invalid.Name);
            await ExecuteAsync(connection, transaction, $"REINDEX INDEX {invalid.Name}", cancellationToken);
            built.Add(invalid.Name);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation(
            "PostgreSQL search in the database: {VectorIndex} (HNSW m = {M}, ef_construction = {EfConstruction}, ef_search >= {EfSearch}), " +
            "{TextIndex} (GIN, {TextSearchConfig}); built now: {Built}",
            VectorIndex, options.HnswM, options.HnswEfConstruction, options.HnswEfSearch, TextIndex, options.TextSearchConfig,
            built.Count == 0 ? "none" : string.Join(", ", built));
        return built.Count > 0;
    }

    private static async Task BuildAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string name, string sql, ILogger logger, CancellationToken cancellationToken)
    {
        await using (var estimate = new NpgsqlCommand("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass('memories')", connection, transaction))
        {
            var rows = await estimate.ExecuteScalarAsync(cancellationToken);
            logger.LogInformation(
                "Building PostgreSQL search index {Index} over about {Rows} memories; writes to memories wait until it is built", name, rows);
        }

        await ExecuteAsync(connection, transaction, $"SET LOCAL maintenance_work_mem = '{BuildMemory}'", cancellationToken);
        await ExecuteAsync(connection, transaction, sql, cancellationToken);
    }

    private static void CheckVectorIndex(PostgresSearchIndex index, int dimensions, PostgresIndexOptions options, ILogger logger)
    {
        if (!index.Definition.Contains($"halfvec({dimensions.ToString(CultureInfo.InvariantCulture)})", StringComparison.Ordinal)
            || !index.Definition.Contains("halfvec_cosine_ops", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The index {index.Name} on memories is not the HNSW index this store searches ({index.Definition}). " +
                $"Drop it (DROP INDEX {index.Name}) and restart to have it rebuilt.");
        }

        // Parameters that differ only make the graph better or worse, never the results wrong: rebuild on the user's schedule.
        var wanted = new[]
        {
            $"m={options.HnswM.ToString(CultureInfo.InvariantCulture)}",
            $"ef_construction={options.HnswEfConstruction.ToString(CultureInfo.InvariantCulture)}",
        };
        if (!wanted.All(index.Options.Contains))
        {
            logger.LogWarning(
                "PostgreSQL search index {Index} was built with {Built}, not the configured {Configured}; it is used as it is. " +
                "To rebuild it: {Rebuild} (writes wait during the build)",
                index.Name, string.Join(", ", index.Options), string.Join(", ", wanted), $"DROP INDEX {index.Name}; then restart");
        }
    }

    private static void CheckTextIndex(PostgresSearchIndex index, string config)
    {
        // A query with another configuration cannot use the index at all: every text search would scan the table.
        if (!index.Definition.Contains(TextVector(config), StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The index {index.Name} on memories is not over {TextVector(config)} ({index.Definition}), so text searches could not use it. " +
                $"Set Storage:PostgresIndexes:TextSearchConfig to the index's configuration, or drop it (DROP INDEX {index.Name}) and restart to rebuild it.");
        }
    }

    private static async Task CheckTextConfigAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string config, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = @config AND pg_ts_config_is_visible(oid))", connection, transaction);
        command.Parameters.AddWithValue("config", NpgsqlDbType.Text, config);
        if (await command.ExecuteScalarAsync(cancellationToken) is not true)
        {
            throw new InvalidOperationException(
                $"Storage:PostgresIndexes:TextSearchConfig is '{config}', which this database does not have (see \\dF in psql or pg_ts_config).");
        }
    }

    private static async Task<IReadOnlyList<PostgresSearchIndex>> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT c.relname, am.amname, pg_get_indexdef(c.oid), pg_relation_size(c.oid), i.indisvalid, coalesce(c.reloptions, '{}')
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_am am ON am.oid = c.relam
            WHERE i.indrelid = to_regclass('memories') AND am.amname IN ('hnsw', 'ivfflat', 'gin')
            ORDER BY c.relname
            """,
            connection,
            transaction);
        var indexes = new List<PostgresSearchIndex>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            indexes.Add(new PostgresSearchIndex(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetBoolean(4), reader.GetFieldValue<string[]>(5)));
        }

        return indexes;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
