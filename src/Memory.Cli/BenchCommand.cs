using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Memory.Cli.Bench;
using Memory.Cli.Hosting;
using Memory.Storage;
using Spectre.Console;

namespace Memory.Cli;

/// <summary>
/// <c>memory bench store --json [--sizes 10000,100000] [--store sqlite|postgres|both] [--postgres-search InProcess|Database|both]</c>.
/// </summary>
public static class BenchCommand
{
    private static readonly string[] BothStores = ["sqlite", "postgres"];
    private static readonly string[] BothSearchModes = [nameof(PostgresSearchMode.InProcess), nameof(PostgresSearchMode.Database)];

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated memory counts.", DefaultValueFactory = _ => "10000,100000" };
        var storeKind = new Option<string>("--store") { Description = "sqlite, postgres or both.", DefaultValueFactory = _ => "sqlite" };
        storeKind.AcceptOnlyFromAmong("sqlite", "postgres", "both");
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string (default: env MEMORY_TEST_POSTGRES)." };
        var postgresSearch = new Option<string?>("--postgres-search")
        {
            Description = "Where PostgreSQL searches: InProcess, Database or both (default: Storage:PostgresSearch, i.e. InProcess).",
        };
        postgresSearch.AcceptOnlyFromAmong([.. BothSearchModes, "both"]);
        var batch = new Option<int>("--batch") { Description = "Messages per add request.", DefaultValueFactory = _ => 100 };
        var queries = new Option<int>("--queries") { Description = "Timed searches per kind and size.", DefaultValueFactory = _ => 200 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed searches per kind first (the first ones after a bulk ingest run slower).", DefaultValueFactory = _ => 20 };
        var set = new Option<string[]>("--set") { Description = "Configuration override Section:Key=value (repeatable)." };

        var store = new Command("store", "Ingest rate and search latency of the stores.") { json, sizes, storeKind, postgres, postgresSearch, batch, queries, warmup, set };
        store.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            var counts = ParseSizes(parse.GetValue(sizes)!);
            var batchSize = parse.GetValue(batch);
            var queryCount = parse.GetValue(queries);
            var warmupCount = parse.GetValue(warmup);
            if (warmupCount is < 0 or > 100_000)
            {
                throw new CliFailureException($"--warmup must be between 0 and 100000; it was {warmupCount}.");
            }
            if (batchSize is < 1 or > 1000)
            {
                throw new CliFailureException($"--batch must be between 1 and 1000; it was {batchSize}.");
            }

            if (queryCount is < 1 or > 100_000)
            {
                throw new CliFailureException($"--queries must be between 1 and 100000; it was {queryCount}.");
            }

            var kinds = parse.GetValue(storeKind) switch
            {
                "both" => BothStores,
                var one => [one!],
            };
            var connection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES");
            if (kinds.Contains("postgres") && string.IsNullOrWhiteSpace(connection))
            {
                throw new CliFailureException("--store postgres needs --postgres CONNECTION or the MEMORY_TEST_POSTGRES environment variable.");
            }

            if (kinds.Contains("postgres"))
            {
                PostgresConnectionString.Validate(connection!, "--postgres");
            }

            // null: whatever the settings say (Storage:PostgresSearch, InProcess unless --set names it).
            var searchModes = parse.GetValue(postgresSearch) switch
            {
                null => new string?[] { null },
                "both" => BothSearchModes,
                var one => [one],
            };
            var results = await ProgressDisplay.RunAsync(async progress =>
            {
                var all = new List<StoreBenchmarkResult>();
                foreach (var kind in kinds)
                {
                    foreach (var searchMode in kind == "postgres" ? searchModes : new string?[] { null })
                    {
                        foreach (var size in counts)
                        {
                            using var sqlite = new TemporarySqliteFile("bench");
                            var settings = SettingOverrides.Parse(parse.GetValue(set));
                            settings["Storage:PostgresConnectionString"] = kind == "postgres" ? connection : string.Empty;
                            settings["Storage:SqlitePath"] = sqlite.Path;
                            if (searchMode is not null)
                            {
                                settings["Storage:PostgresSearch"] = searchMode;
                            }

                            await using var engine = await EngineServices.StartAsync(settings, ct);
                            all.Add(await new StoreBenchmark(engine).RunAsync(size, batchSize, queryCount, warmupCount, progress, ct));
                        }
                    }
                }

                return all;
            });

            if (!parse.GetValue(json))
            {
                WriteTable(results);
            }

            await JsonOutput.WriteLastLineAsync(new StoreBenchmarkReport(Environment.ProcessorCount, results));
            return ExitCodes.Success;
        }, cancellationToken));

        return new Command("bench", "Performance benchmarks.") { store };
    }

    private static int[] ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 1 || size > 10_000_000)
            {
                throw new CliFailureException($"--sizes expects positive counts up to 10000000 separated by commas; '{part}' is not one.");
            }

            sizes.Add(size);
        }

        return sizes.Count > 0 ? sizes.ToArray() : throw new CliFailureException("--sizes names no size.");
    }

    private static void WriteTable(IReadOnlyList<StoreBenchmarkResult> results)
    {
        var table = new Table().AddColumns(
            "store", "search", "size", "ingest/s", "hybrid p50/p95/p99 ms", "vector p50/p95/p99 ms", "text p50/p95/p99 ms", "vector recall@10");
        foreach (var r in results)
        {
            table.AddRow(
                r.Store,
                r.Search ?? "-",
                r.Size.ToString("N0", CultureInfo.InvariantCulture),
                r.IngestPerSecond.ToString("F0", CultureInfo.InvariantCulture),
                Format(r.HybridSearch),
                Format(r.VectorSearch),
                Format(r.TextSearch),
                r.VectorRecallAt10?.ToString("F3", CultureInfo.InvariantCulture) ?? "-");
        }

        AnsiConsole.Write(table);
    }

    private static string Format(LatencySummary s) =>
        string.Create(CultureInfo.InvariantCulture, $"{s.P50:F2} / {s.P95:F2} / {s.P99:F2}");

    private sealed record StoreBenchmarkReport(
        [property: JsonPropertyName("processors")] int Processors,
        [property: JsonPropertyName("results")] IReadOnlyList<StoreBenchmarkResult> Results)
    {
        [JsonPropertyName("benchmark")]
        public string Benchmark { get; } = "store";
    }
}
