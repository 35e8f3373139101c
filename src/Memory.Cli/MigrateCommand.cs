using System.CommandLine;
using Memory.Cli.Hosting;
using Memory.Storage;
using Memory.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Memory.Cli;

/// <summary>
/// <c>memory migrate [--postgres CONN] [--postgres-search InProcess|Database]</c>: applies the numbered SQL migrations to
/// PostgreSQL and, for the Database search, builds its HNSW and GIN indexes (ahead of the servers, whose start would
/// otherwise build them while writes wait).
/// </summary>
public static class MigrateCommand
{
    public static Command Create()
    {
        var postgres = new Option<string?>("--postgres")
        {
            Description = "PostgreSQL connection string (default: MEMORY_Storage__PostgresConnectionString).",
        };
        var dimensions = new Option<int?>("--dimensions")
        {
            Description = "Embedding length of a new schema (default: MEMORY_Embeddings__Dimensions or 384).",
        };
        var search = new Option<string?>("--postgres-search")
        {
            Description = "InProcess or Database (default: MEMORY_Storage__PostgresSearch or InProcess); Database also builds its indexes " +
                "(settings: MEMORY_Storage__PostgresIndexes__*).",
        };
        var json = new Option<bool>("--json") { Description = "Print the applied migrations as one JSON object on the last line." };

        var command = new Command("migrate", "Apply the PostgreSQL migrations.") { postgres, dimensions, search, json };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            var connection = parse.GetValue(postgres)
                ?? Environment.GetEnvironmentVariable("MEMORY_Storage__PostgresConnectionString");
            if (string.IsNullOrWhiteSpace(connection))
            {
                throw new CliFailureException("No PostgreSQL connection string: pass --postgres CONN or set MEMORY_Storage__PostgresConnectionString.");
            }

            var dims = parse.GetValue(dimensions) ?? DimensionsFromEnvironment();
            await using var dataSource = BuildDataSource(PostgresConnectionString.Validate(connection, "--postgres"));
            var migrator = new PostgresMigrator(dataSource, dims, NullLogger<PostgresMigrator>.Instance);
            var applied = await migrator.MigrateAsync(ct);
            var storage = StorageFromEnvironment(parse.GetValue(search));
            string[] searchIndexes = [];
            if (storage.PostgresSearchMode == PostgresSearchMode.Database)
            {
                // The store's own start-up builds and checks them, so migrate and serve can never disagree on their shape.
                await using var store = new PostgresMemoryStore(connection, dims, NullLoggerFactory.Instance, PostgresSearchMode.Database, storage.PostgresIndexes);
                await store.InitializeAsync(ct);
                searchIndexes = [.. await store.ListSearchIndexesAsync(ct)];
            }

            if (!parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(applied.Count == 0
                    ? "Database is up to date."
                    : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
                if (searchIndexes.Length > 0)
                {
                    await Console.Out.WriteLineAsync($"Database search indexes present: {string.Join(", ", searchIndexes)}");
                }
            }

            await JsonOutput.WriteLastLineAsync(new { applied, known = PostgresMigrator.KnownMigrations, search = storage.PostgresSearchMode.ToString(), search_indexes = searchIndexes });
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static NpgsqlDataSource BuildDataSource(string connection)
    {
        try
        {
            return NpgsqlDataSource.Create(connection);
        }
        catch (ArgumentException ex)
        {
            throw new CliFailureException($"invalid PostgreSQL connection string: {ex.Message}", ex);
        }
    }

    /// <summary>The "Storage" settings from MEMORY_Storage__* variables, the search mode from the flag when given; validated.</summary>
    private static StorageOptions StorageFromEnvironment(string? searchFlag)
    {
        var storage = new StorageOptions();
        try
        {
            new ConfigurationBuilder().AddEnvironmentVariables("MEMORY_").Build().GetSection(StorageOptions.SectionName).Bind(storage);
        }
        catch (InvalidOperationException exception)
        {
            throw new CliFailureException($"MEMORY_Storage__* settings: {exception.Message}", exception);
        }

        if (searchFlag is not null)
        {
            storage.PostgresSearch = searchFlag;
        }

        var problems = storage.Validate().ToList();
        return problems.Count == 0 ? storage : throw new CliFailureException(string.Join(" ", problems));
    }

    private static int DimensionsFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("MEMORY_Embeddings__Dimensions");
        if (string.IsNullOrWhiteSpace(text))
        {
            return 384;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new CliFailureException($"MEMORY_Embeddings__Dimensions must be a positive integer; it is '{text}'.");
    }
}
