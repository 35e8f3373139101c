using System.CommandLine;
using Memory.Cli.Hosting;
using Memory.Cli.Locomo;
using Spectre.Console;

namespace Memory.Cli;

/// <summary><c>memory eval locomo --data FILE --k 10 --json</c>: LoCoMo evidence recall@k through the engine's own requests.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "LoCoMo JSON file (a list of samples).", Required = true };
        var k = new Option<int>("--k") { Description = "Results per question (top_k).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var storeConnection = new Option<string?>("--store-connection")
        {
            Description = "PostgreSQL connection string; without it a temporary SQLite file is used.",
        };
        var fusion = new Option<string?>("--fusion") { Description = "Fusion method: NormalizedSum or ReciprocalRank (default: the configured one)." };
        var captions = new Option<bool>("--image-captions")
        {
            Description = "Store a shared photo's dataset caption with its turn.",
            DefaultValueFactory = _ => true,
        };
        var details = new Option<FileInfo?>("--details") { Description = "Write one JSON line per question (evidence, results, recall) to this file." };
        var infer = new Option<bool>("--infer")
        {
            Description = "Store facts extracted by a chat model (infer=true) instead of the turns verbatim. Needs --chat-model (or MEMORY_Extraction__Model).",
        };
        var chatProvider = new Option<string?>("--chat-provider") { Description = "OpenAI (any OpenAI-compatible server, default) or Ollama." };
        var chatEndpoint = new Option<string?>("--chat-endpoint")
        {
            Description = "Base URL of the chat server, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, LM Studio) or http://127.0.0.1:11434 (Ollama); default api.openai.com.",
        };
        var chatModel = new Option<string?>("--chat-model") { Description = "Chat model name for --infer." };
        var chatKey = new Option<string?>("--chat-key") { Description = "API key for --infer (default: MEMORY_Extraction__ApiKey, then OPENAI_API_KEY)." };
        var set = new Option<string[]>("--set") { Description = "Configuration override Section:Key=value (repeatable).", AllowMultipleArgumentsPerToken = false };

        var locomo = new Command("locomo", "Evidence recall@k on LoCoMo (categories 1-4).") { data, k, json, storeConnection, fusion, captions, details, infer, chatProvider, chatEndpoint, chatModel, chatKey, set };
        locomo.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            var file = parse.GetValue(data)!;
            var topK = parse.GetValue(k);
            if (topK is < 1 or > 1000)
            {
                throw new CliFailureException($"--k must be between 1 and 1000; it was {topK}.");
            }

            var conversations = await LocomoDataset.LoadAsync(file.FullName, ct);
            var settings = SettingOverrides.Parse(parse.GetValue(set));
            if (parse.GetValue(fusion) is { } method)
            {
                settings["Retrieval:Fusion"] = method;
            }

            var inferring = parse.GetValue(infer);
            if (inferring)
            {
                InferSettings.Apply(settings, parse.GetValue(chatProvider), parse.GetValue(chatEndpoint), parse.GetValue(chatModel), parse.GetValue(chatKey));
            }

            using var sqlite = new TemporarySqliteFile("locomo");
            settings["Storage:PostgresConnectionString"] = parse.GetValue(storeConnection) is { Length: > 0 } postgres
                ? PostgresConnectionString.Validate(postgres, "--store-connection")
                : string.Empty;
            settings["Storage:SqlitePath"] = sqlite.Path;

            await using var engine = await EngineServices.StartAsync(settings, ct);
            if (inferring)
            {
                InferSettings.EnsureConfigured(engine);
            }

            await using var detailWriter = parse.GetValue(details) is { } detailFile ? new StreamWriter(detailFile.FullName) : null;
            var report = await ProgressDisplay.RunAsync(progress =>
                new LocomoEvaluator(engine) { Infer = inferring }.RunAsync(conversations, topK, parse.GetValue(captions), progress, ct, detailWriter));

            if (!parse.GetValue(json))
            {
                WriteTable(report);
            }

            await JsonOutput.WriteLastLineAsync(report);
            return ExitCodes.Success;
        }, cancellationToken));

        return new Command("eval", "Retrieval quality benchmarks.") { locomo };
    }

    private static void WriteTable(RecallReport report)
    {
        var table = new Table().AddColumns("category", "questions", $"recall@{report.K}");
        foreach (var (_, category) in report.ByCategory)
        {
            table.AddRow(category.Name, category.Questions.ToString(System.Globalization.CultureInfo.InvariantCulture), category.Recall.ToString("F3", System.Globalization.CultureInfo.InvariantCulture));
        }

        table.AddRow("[bold]all[/]", report.Questions.ToString(System.Globalization.CultureInfo.InvariantCulture), $"[bold]{report.Recall:F3}[/]");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"store {report.Store}, embedder {report.Embedder}, fusion {report.Fusion}, {report.Memories} memories, ingest {report.IngestSeconds}s, search p50 {report.SearchMsP50} ms");
    }
}
