using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Memory.Storage.Postgres;

/// <summary>
/// Applies the numbered SQL files of migrations/ (embedded as resources "migrations/NAME.sql") in name order.
/// All pending files go in one transaction under a transaction-scoped advisory lock, so several starting
/// servers never apply a migration twice; applied names are kept in schema_migrations. Running it again
/// applies nothing. Used at start-up and by `memory migrate`.
/// </summary>
public sealed class PostgresMigrator
{
    /// <summary>Replaced in the SQL by the configured embedding length (vector(N) needs a fixed N for HNSW).</summary>
    public const string DimensionsPlaceholder = "{{embedding_dimensions}}";

    private const string ResourcePrefix = "migrations/";

    private readonly NpgsqlDataSource _dataSource;
    private readonly int _embeddingDimensions;
    private readonly ILogger _logger;

    public PostgresMigrator(NpgsqlDataSource dataSource, int embeddingDimensions, ILogger<PostgresMigrator> logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimensions, 1);
        _dataSource = dataSource;
        _embeddingDimensions = embeddingDimensions;
        _logger = logger;
    }

    /// <summary>The migrations this build knows, in the order they are applied.</summary>
    public static IReadOnlyList<string> KnownMigrations { get; } = typeof(PostgresMigrator).Assembly
        .GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
        .Select(name => name[ResourcePrefix.Length..^".sql".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Applies every pending migration; returns the names applied now (empty when the schema was current).</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Scoped to the schema, so separate schemas of one database (tests, side-by-side installs) migrate independently.
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtext('memory.schema_migrations:' || current_schema()))", cancellationToken);
        await ExecuteAsync(
            connection,
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            cancellationToken);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT name FROM schema_migrations", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetString(0));
            }
        }

        var appliedNow = new List<string>();
        foreach (var name in KnownMigrations)
        {
            if (applied.Contains(name))
            {
                continue;
            }

            var sql = ReadMigration(name).Replace(DimensionsPlaceholder, _embeddingDimensions.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            try
            {
                await ExecuteAsync(connection, sql, cancellationToken);
            }
            catch (PostgresException exception)
            {
                throw new InvalidOperationException($"Migration {name} failed: {exception.MessageText}", exception);
            }

            await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (name) VALUES (@name)", connection))
            {
                record.Parameters.AddWithValue("name", name);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            appliedNow.Add(name);
        }

        await transaction.CommitAsync(cancellationToken);
        if (appliedNow.Count > 0)
        {
            // A migration may have created the vector type after this data source loaded its type catalogue.
            await connection.ReloadTypesAsync(cancellationToken);
            _logger.LogInformation("Applied {Count} migration(s): {Migrations}", appliedNow.Count, string.Join(", ", appliedNow));
        }
        else
        {
            _logger.LogDebug("Schema is current ({Count} migration(s) known)", KnownMigrations.Count);
        }

        return appliedNow;
    }

    private static string ReadMigration(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name + ".sql")
            ?? throw new InvalidOperationException($"Migration resource {name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
