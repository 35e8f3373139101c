using System.CommandLine;
using System.Globalization;
using Memory.Cli.Hosting;
using Memory.Inference.Decoding;
using Memory.Inference.Tokenization;
using Memory.KvCache;
using Memory.KvCache.Codec;
using Spectre.Console;

namespace Memory.Cli.KvBench;

/// <summary>
/// <c>memory bench kv --model DIR --text FILE [--json]</c>: the KV codec on a real model's KV — bits per element and
/// ratio against fp16 and plain 8-bit, perplexity with decompressed KV against exact KV, encode/decode throughput —
/// and time to first token recomputed, from host memory and from compressed disk.
/// </summary>
internal static class KvBenchCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var model = new Option<string>("--model") { Description = "Hugging Face model directory.", DefaultValueFactory = _ => Path.Combine("models", "demo") };
        var text = new Option<string?>("--text") { Description = "Held-out text (tools/corpus/prepare.py's valid.txt); without it only time to first token is measured, on random tokens." };
        var windows = new Option<int>("--windows") { Description = "Text windows scored (0: no codec and perplexity runs).", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window") { Description = "Tokens per window; its first half (whole blocks) is the compressed context.", DefaultValueFactory = _ => 1024 };
        var blockSize = new Option<int>("--block-size") { Description = "Tokens per KV block.", DefaultValueFactory = _ => 256 };
        var ttftContext = new Option<int>("--ttft-context") { Description = "Prompt tokens for the time-to-first-token runs (0: skip them).", DefaultValueFactory = _ => 2048 };
        var repeats = new Option<int>("--repeats") { Description = "Runs per time-to-first-token figure (the median is reported).", DefaultValueFactory = _ => 3 };
        var diskLevels = new Option<string>("--disk-levels") { Description = "Codec levels of the disk tier to time.", DefaultValueFactory = _ => "lossless,balanced" };
        var dropCache = new Option<bool>("--drop-page-cache") { Description = "Drop Linux's page cache before each disk read (root only)." };
        var presets = new Option<string?>("--presets") { Description = "Extra quantised levels to measure, 'NAME=KEYFIRST,KEYLAST,VALUEFIRST,VALUELAST;…' (relative steps of the first and last layer)." };
        var accelerator = new Option<AcceleratorPreference>("--accelerator") { Description = "Auto (CUDA when present), Cuda or Cpu.", DefaultValueFactory = _ => AcceleratorPreference.Auto };
        var codecBatch = new Option<int>("--codec-batch-mb") { Description = "fp16 MiB of KV per timed codec call (the windows' blocks, repeated); throughput of one large batch.", DefaultValueFactory = _ => (int)(KvCodecBenchmark.DefaultThroughputBytes >> 20) };
        var lowerTierBatch = new Option<int>("--lower-tier-batch") { Description = "Blocks per codec batch when a prefix is read from disk (each batch decodes while the next is read).", DefaultValueFactory = _ => KvCacheStore.DefaultLowerTierBatchBlocks };
        var codecAccelerator = new Option<AcceleratorPreference?>("--codec-accelerator") { Description = "Accelerator of the codec's quantise kernels (default: --accelerator; Cpu quantises on the host)." };

        var command = new Command("kv", "KV codec size, quality and speed; time to first token from each tier.")
        {
            json, model, text, windows, window, blockSize, ttftContext, repeats, diskLevels, dropCache, presets, accelerator, codecAccelerator, codecBatch, lowerTierBatch,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            string directory = parse.GetValue(model)!;
            int windowTokens = parse.GetValue(window);
            int block = parse.GetValue(blockSize);
            int ttft = parse.GetValue(ttftContext);
            int repeatCount = parse.GetValue(repeats);
            var levels = parse.GetValue(diskLevels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var level in levels)
            {
                _ = KvCodecPreset.All.FirstOrDefault(p => p.Name == level) ?? throw new CliFailureException($"--disk-levels: '{level}' is not one of {string.Join(", ", KvCodecPreset.All.Select(p => p.Name))}");
            }

            string? textPath = parse.GetValue(text);
            int windowCount = textPath is null ? 0 : parse.GetValue(windows);
            if (windowCount < 0 || windowTokens < 2 || block < 1 || repeatCount < 1 || ttft < 0 || parse.GetValue(lowerTierBatch) < 1)
            {
                throw new CliFailureException("--window, --block-size, --repeats and --lower-tier-batch must be positive, --windows and --ttft-context not negative");
            }

            if (windowCount == 0 && ttft == 0)
            {
                throw new CliFailureException("nothing to measure: give --text (codec and perplexity) and/or --ttft-context");
            }

            using var decoder = LlamaDecoder.Open(new DecoderOptions
            {
                ModelDirectory = directory,
                Accelerator = parse.GetValue(accelerator),
                KvBlockSize = block,
                KvCacheTokens = Math.Max(windowTokens, ttft) * 3,
                // The recompute baseline prefills in the decoder's default chunks, as a server would.
                MaxSequences = 4,
            });
            if (ttft >= decoder.Capacity.MaxTokensPerSequence)
            {
                throw new CliFailureException($"--ttft-context {ttft} must be below the model's {decoder.Capacity.MaxTokensPerSequence} positions");
            }

            // Token ids to measure on: the held-out text when given, else random ids (a timing needs no meaning).
            int needed = Math.Max(windowCount * windowTokens * 4, ttft + 1);
            int[] tokens;
            if (textPath is not null)
            {
                var tokenizer = HfTokenizer.Load(Path.Combine(directory, "tokenizer.json"));
                int endOfText = decoder.Config.EosTokenIds.Count > 0 ? decoder.Config.EosTokenIds[0] : 0;
                tokens = BenchText.Load(textPath, tokenizer, endOfText, needed);
            }
            else
            {
                var random = new Random(1234);
                tokens = Enumerable.Range(0, needed).Select(_ => random.Next(decoder.Config.VocabSize)).ToArray();
            }

            using var codecDevice = new KvCodecAccelerator(parse.GetValue(codecAccelerator) ?? parse.GetValue(accelerator));
            // Stages go to stderr when the output is redirected: a long GPU run that times out still says how far it got.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var progress = ProgressDisplay.Enabled
                ? new Progress<string>(stage => AnsiConsole.MarkupLineInterpolated($"[grey]{stage}[/]"))
                : new Progress<string>(stage => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,7:0.0} s] {stage}"));
            KvPerplexityRun? run = null;
            List<KvLevelResult> results = [];
            KvCodecThroughputBatch? throughputBatch = null;
            if (windowCount > 0)
            {
                var benchmark = new KvCodecBenchmark(decoder, codecDevice.Codec, ParsePresets(parse.GetValue(presets)), (long)Math.Max(1, parse.GetValue(codecBatch)) << 20);
                (run, results, throughputBatch) = benchmark.Run(tokens, Path.GetFileName(textPath!), windowCount, windowTokens, progress, ct);
            }

            KvTtftResult? ttftResult = null;
            if (ttft > 0)
            {
                string work = Path.Combine(Path.GetTempPath(), "memory-bench-kv-" + Guid.NewGuid().ToString("N"));
                try
                {
                    ttftResult = await new KvTtftBenchmark(decoder, codecDevice.Codec, work, parse.GetValue(lowerTierBatch)).RunAsync(tokens[..ttft], repeatCount, levels, parse.GetValue(dropCache), progress, ct);
                }
                finally
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    if (Directory.Exists(work))
                    {
                        Directory.Delete(work, recursive: true);
                    }
                }
            }

            var report = new KvBenchReport(
                $"{decoder.Accelerator.AcceleratorType} {decoder.Accelerator.Name}; codec on {codecDevice.Codec.Accelerator.AcceleratorType}",
                directory,
                block,
                decoder.Config.NumLayers,
                decoder.Config.KvDim,
                run,
                results,
                ttftResult,
                throughputBatch);
            if (!parse.GetValue(json))
            {
                WriteTables(report);
            }

            await JsonOutput.WriteLastLineAsync(report);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static void WriteTables(KvBenchReport report)
    {
        var table = new Table().AddColumns("level", "bits/elem", "× fp16", "× int8", "rel. RMS", "enc GB/s", "dec GB/s", "perplexity", "Δ %");
        foreach (var l in report.Levels)
        {
            table.AddRow(l.Level, F(l.BitsPerElement), F(l.RatioVsFp16), F(l.RatioVsInt8), F(l.RelativeRmsError), F(l.EncodeGBps), F(l.DecodeGBps), F(l.Perplexity), F(l.PerplexityIncreasePercent));
        }

        AnsiConsole.Write(table);
        if (report.Perplexity is { } perplexity)
        {
            AnsiConsole.MarkupLineInterpolated($"exact perplexity {perplexity.ExactPerplexity} over {perplexity.ScoredTokens} tokens");
        }
        if (report.CodecThroughputBatch is { } batch)
        {
            AnsiConsole.MarkupLineInterpolated($"codec GB/s: one call over {batch.Blocks} blocks ({batch.DistinctBlocks} distinct, {batch.Fp16Bytes >> 20} MiB fp16), fastest of {batch.TimedCalls}; quantised levels coded on the {batch.QuantizedCoding}, {batch.HostEncodedSections} sections handed back to the host encoder");
        }

        if (report.TimeToFirstToken is { } t)
        {
            string disk = string.Join(", ", t.Disk.Select(d => $"disk {d.Level} {d.Ms} ms ({d.Speedup}×)"));
            AnsiConsole.MarkupLineInterpolated($"TTFT at {t.ContextTokens} tokens: recompute {t.RecomputeMs} ms, host {t.HostMs} ms ({t.HostSpeedup}×), {disk}");
        }
    }

    /// <summary>Parses --presets: 'NAME=KEYFIRST,KEYLAST,VALUEFIRST,VALUELAST' entries separated by ';'.</summary>
    private static List<KvCodecPreset> ParsePresets(string? spec)
    {
        var result = new List<KvCodecPreset>();
        foreach (var entry in (spec ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2);
            var steps = parts.Length == 2 ? parts[1].Split(',') : [];
            if (steps.Length != 4 || KvCodecPreset.All.Any(p => p.Name == parts[0]) || result.Any(p => p.Name == parts[0]) || parts[0] == "int8")
            {
                throw new CliFailureException($"--presets: '{entry}' is not NAME=KEYFIRST,KEYLAST,VALUEFIRST,VALUELAST with a new name");
            }

            var values = steps.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN).ToArray();
            var preset = new KvCodecPreset { Name = parts[0], KeyStepFirst = values[0], KeyStepLast = values[1], ValueStepFirst = values[2], ValueStepLast = values[3] };
            try
            {
                preset.Validate();
            }
            catch (ArgumentException exception)
            {
                throw new CliFailureException($"--presets: {exception.Message}");
            }

            result.Add(preset);
        }

        return result;
    }

    private static string F(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-";
}
