using System.CommandLine;
using Memory.Cli.Hosting;
using Memory.Inference.Decoding;
using Memory.Inference.Serving;
using Memory.Inference.Tokenization;
using Memory.KvCache;
using Memory.KvCache.Codec;
using Memory.KvCache.Metadata;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace Memory.Cli.Demo;

/// <summary>
/// <c>memory demo</c>: the KV side of the product on the project's own demo model (models/demo by default). A pass
/// key hidden in a document is asked for twice, as two sessions would: the first prefill computes the document's KV
/// and stores it (host memory and the disk tier); the second session finds the document's blocks by prefix hash and
/// prefills only what follows them. Prints both answers, the tokens reused and the time to first token of each.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model directory.", DefaultValueFactory = _ => Path.Combine("models", "demo") };
        var words = new Option<int>("--words") { Description = "Length of the document in words.", DefaultValueFactory = _ => 300 };
        var key = new Option<string>("--key") { Description = "The 5-digit pass key to hide.", DefaultValueFactory = _ => "48213" };
        var kvDirectory = new Option<string?>("--kv-dir") { Description = "Directory of the KV cache's disk tier (default: a temporary one, removed at the end)." };
        var accelerator = new Option<AcceleratorPreference>("--accelerator") { Description = "Auto (CUDA when present), Cuda or Cpu.", DefaultValueFactory = _ => AcceleratorPreference.Auto };
        var json = new Option<bool>("--json") { Description = "Print only the result as one JSON object." };
        var command = new Command("demo", "Two sessions ask the demo model for a pass key hidden in a document; the second reuses the first's cached KV.")
        {
            model, words, key, kvDirectory, accelerator, json,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            string directory = parse.GetValue(model)!;
            string passKey = parse.GetValue(key)!;
            if (passKey.Length != 5 || !passKey.All(char.IsAsciiDigit))
            {
                throw new CliFailureException("--key must be 5 digits (the demo model was trained on 5-digit keys)");
            }

            string? chosenKv = parse.GetValue(kvDirectory);
            string kv = chosenKv ?? Path.Combine(Path.GetTempPath(), "memory-demo-" + Guid.NewGuid().ToString("N"));
            bool quiet = parse.GetValue(json);
            try
            {
                var result = await RunAsync(directory, parse.GetValue(words), passKey, kv, parse.GetValue(accelerator), quiet, ct);
                await JsonOutput.WriteLastLineAsync(result);
                return result.Sessions.All(s => s.Correct) ? ExitCodes.Success : ExitCodes.Failure;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                if (chosenKv is null && Directory.Exists(kv))
                {
                    Directory.Delete(kv, recursive: true);
                }
            }
        }, cancellationToken));
        return command;
    }

    private static async Task<DemoResult> RunAsync(string directory, int words, string key, string kvDirectory, AcceleratorPreference accelerator, bool quiet, CancellationToken cancellationToken)
    {
        if (words is < 10 or > 100_000)
        {
            throw new CliFailureException("--words must be between 10 and 100000");
        }

        var tokenizer = HfTokenizer.Load(Path.Combine(directory, "tokenizer.json"));
        const int blockSize = 64;
        using var decoder = LlamaDecoder.Open(new DecoderOptions
        {
            ModelDirectory = directory,
            Accelerator = accelerator,
            KvBlockSize = blockSize,
            KvCacheTokens = 8192,
            MaxBatchTokens = 256,
            MaxSequences = 4,
        });
        using var codec = new KvCodecAccelerator(accelerator);
        Directory.CreateDirectory(kvDirectory);
        var pins = new PinSet();
        using var store = new KvCacheStore(
            blockSize,
            codec.Codec,
            new SqliteKvMetadataStore(Path.Combine(kvDirectory, "kv.db")),
            new HostBlockTier(1L << 30, pins),
            pins,
            new DiskBlockTier(Path.Combine(kvDirectory, "blocks"), 4L << 30, KvCodecPreset.Lossless, pins, NullLogger.Instance),
            redis: null,
            diskWriteThrough: true,
            NullLogger<KvCacheStore>.Instance);
        await using var scheduler = new GenerationScheduler(decoder, decoder, new KvPrefixCache(store, isolateTenants: false), new GenerationSchedulerOptions(), NullLogger<GenerationScheduler>.Instance);

        string document = DemoDocument.Build(words, 0.4, key);
        var prompt = tokenizer.Encode(document + DemoDocument.Question).ToArray();
        if (prompt.Length + 8 >= decoder.Capacity.MaxTokensPerSequence)
        {
            throw new CliFailureException($"the document is {prompt.Length} tokens; the model attends over {decoder.Capacity.MaxTokensPerSequence} (lower --words)");
        }

        if (!quiet)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]{Path.GetFileName(Path.GetFullPath(directory))}[/] on {decoder.Accelerator.AcceleratorType}: a {prompt.Length}-token document with the pass key [bold]{key}[/] at 40% depth, KV blocks of {blockSize} tokens in {kvDirectory}");
        }

        var sessions = new List<DemoSession>();
        for (int session = 1; session <= 2; session++)
        {
            var stream = scheduler.Submit(new GenerationRequest(prompt, SamplingOptions.Greedy, 6, new HashSet<int>(decoder.Config.EosTokenIds), new KvBlockOrigin(KvBlockOrigin.DefaultTenant, "demo", $"session-{session}")), cancellationToken);
            var answer = new List<int>();
            await foreach (int token in stream.Tokens.ReadAllAsync(cancellationToken))
            {
                answer.Add(token);
            }

            var summary = await stream.Completion;
            await scheduler.DrainStoresAsync(cancellationToken);
            string text = tokenizer.Decode(answer);
            var result = new DemoSession(session, text.Trim(), text.Contains(key, StringComparison.Ordinal), summary.PromptTokens, summary.CachedPromptTokens, Math.Round(summary.TimeToFirstToken.TotalMilliseconds, 1));
            sessions.Add(result);
            if (!quiet)
            {
                string verdict = result.Correct ? "[green]correct[/]" : "[red]wrong[/]";
                AnsiConsole.MarkupLine(verdict + Markup.Escape($" session {session}: \"{result.Answer}\"; {result.CachedTokens} of {result.PromptTokens} prompt tokens from the KV cache; first token after {result.TimeToFirstTokenMs} ms"));
            }
        }

        var stats = await store.StatsAsync(cancellationToken);
        return new DemoResult(directory, decoder.Accelerator.AcceleratorType.ToString(), key, sessions, stats.Metadata.Blocks, stats.Metadata.StoredBytes);
    }
}
