using System.CommandLine;
using Memory.Cli.Hosting;
using Memory.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Memory.Cli;

/// <summary><c>memory migrate [--postgres CONN]</c>: applies the numbered SQL migrations to PostgreSQL.</summary>
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
        var json = new Option<bool>("--json") { Description = "Print the applied migrations as one JSON object on the last line." };

        var command = new Command("migrate", "Apply the PostgreSQL migrations.") { postgres, dimensions, json };
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
            if (!parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(applied.Count == 0
                    ? "Database is up to date."
                    : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            }

            await JsonOutput.WriteLastLineAsync(new { applied, known = PostgresMigrator.KnownMigrations });
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
