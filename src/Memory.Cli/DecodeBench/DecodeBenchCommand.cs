using System.Diagnostics;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Memory.Cli.Hosting;
using Memory.Inference.Decoding;
using Spectre.Console;

namespace Memory.Cli.DecodeBench;

/// <summary>
/// <c>memory bench decode --model DIR [--contexts 512,8192] [--batches 1,8,32] [--peer transformers.json] --json</c>:
/// prefill tokens/s, time to first token, decode tokens/s per batch size, the bandwidth roofline and, with a peer file
/// from tools/bench_transformers.py, the ratio to Hugging Face transformers on the same weights.
/// </summary>
internal static class DecodeBenchCommand
{
    private static readonly JsonSerializerOptions PeerJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var model = new Option<string>("--model") { Description = "Hugging Face model directory.", DefaultValueFactory = _ => Path.Combine("models", "demo") };
        var contexts = new Option<string>("--contexts") { Description = "Context lengths.", DefaultValueFactory = _ => "512,8192" };
        var batches = new Option<string>("--batches") { Description = "Decode batch sizes.", DefaultValueFactory = _ => "1,8,32" };
        var steps = new Option<int>("--steps") { Description = "Timed decode steps per batch.", DefaultValueFactory = _ => 64 };
        var peer = new Option<string?>("--peer") { Description = "tools/bench_transformers.py's JSON for the same weights, run on the same machine." };
        var accelerator = new Option<AcceleratorPreference>("--accelerator") { Description = "Auto (CUDA when present), Cuda or Cpu.", DefaultValueFactory = _ => AcceleratorPreference.Auto };
        var gemvSlice = new Option<int?>("--gemv-slice") { Description = "Tuning: longest K slice per group of the single-token product, a multiple of 8 (default: the kernels')." };
        var fewTokenTile = new Option<int?>("--few-token-tile") { Description = "Tuning: widest token tile of the few-token product for batches of 2-32, 4 or 8; 0 turns it off (default: the kernels', 8)." };
        var tensorCores = new Option<bool>("--tensor-cores") { Description = "Prefill products on the tensor cores (CUDA sm_80+; elsewhere ignored); false: the FP32 tiled GEMM, for A/B runs.", DefaultValueFactory = _ => true };
        var tensorCoreMinTokens = new Option<int?>("--tensor-core-min-tokens") { Description = "Tuning: fewest tokens a product runs on the tensor cores with (default: the kernels', 128)." };
        var tensorCoreAttention = new Option<bool>("--tensor-core-attention") { Description = "With --tensor-cores, the prefill attention (head dim 64) on the tensor cores too; false: the SIMT prefill attention, for A/B runs.", DefaultValueFactory = _ => true };
        var prefillChunk = new Option<int>("--prefill-chunk") { Description = "Tokens per prefill forward pass (Decoder:MaxBatchTokens).", DefaultValueFactory = _ => new DecoderOptions().MaxBatchTokens };
        var sharedKvAttention = new Option<bool>("--shared-kv-attention") { Description = "Decode attention with one group per kv head serving all its query heads (where the shape allows); false: a group per query head, for A/B runs.", DefaultValueFactory = _ => true };
        var splitKeys = new Option<int?>("--attention-split-keys") { Description = "Tuning: keys per group of the split decode attention (default: one attention group's width)." };
        var bandwidthMiB = new Option<int>("--bandwidth-mib") { Description = "Buffer size of the copy-bandwidth measurement.", DefaultValueFactory = _ => 1024 };
        var command = new Command("decode", "Prefill and decode speed against the bandwidth roofline and transformers.")
        {
            json, model, contexts, batches, steps, peer, accelerator, gemvSlice, fewTokenTile, tensorCores, tensorCoreMinTokens, tensorCoreAttention, prefillChunk, sharedKvAttention, splitKeys, bandwidthMiB,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            var contextList = Numbers(parse.GetValue(contexts)!, "--contexts");
            var batchList = Numbers(parse.GetValue(batches)!, "--batches");
            int stepCount = parse.GetValue(steps);
            if (stepCount < 1)
            {
                throw new CliFailureException("--steps must be positive");
            }

            int chunk = parse.GetValue(prefillChunk);
            if (chunk < batchList.Max())
            {
                throw new CliFailureException($"--prefill-chunk {chunk} is below the largest batch, {batchList.Max()}: a decode step of the batch is one forward pass");
            }

            var peerData = parse.GetValue(peer) is { } peerPath ? ReadPeer(peerPath) : null;
            // Stages go to stderr as they finish (a bench run takes minutes; stdout carries the report alone).
            var clock = Stopwatch.StartNew();
            var progress = new Progress<string>(stage => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,7:0.0} s] {stage}"));
            // Sequences take whole blocks: room for the largest batch at the longest context, each rounded up to blocks.
            const int blockSize = 256;
            int blocksPerSequence = (contextList.Max() + stepCount + 2 + blockSize - 1) / blockSize;
            int maxTokens = blocksPerSequence * blockSize * batchList.Max();
            using var decoder = LlamaDecoder.Open(new DecoderOptions
            {
                ModelDirectory = parse.GetValue(model),
                Accelerator = parse.GetValue(accelerator),
                KvBlockSize = blockSize,
                KvCacheTokens = maxTokens + chunk,
                MaxBatchTokens = chunk,
                MaxSequences = batchList.Max() + 2,
                GemvSliceLength = parse.GetValue(gemvSlice),
                FewTokenTile = parse.GetValue(fewTokenTile),
                TensorCores = parse.GetValue(tensorCores),
                TensorCoreMinTokens = parse.GetValue(tensorCoreMinTokens),
                TensorCoreAttention = parse.GetValue(tensorCoreAttention),
                SharedKvAttention = parse.GetValue(sharedKvAttention),
                AttentionSplitKeys = parse.GetValue(splitKeys),
            });
            if (contextList.Max() + stepCount + 2 > decoder.Capacity.MaxTokensPerSequence)
            {
                throw new CliFailureException($"context {contextList.Max()} + {stepCount} steps exceeds the model's {decoder.Capacity.MaxTokensPerSequence} positions");
            }

            ((IProgress<string>)progress).Report($"model loaded ({decoder.WeightBytes / 1e9:0.###} GB of weights; tensor cores {(decoder.UsesTensorCores ? "on" : "off")}; shared-KV attention {(decoder.UsesSharedKvAttention ? "on" : "off")})");
            double bandwidth = DeviceBandwidth.Measure(decoder.Accelerator, (long)parse.GetValue(bandwidthMiB) << 20, repeats: 10);
            ((IProgress<string>)progress).Report($"copy bandwidth {bandwidth / 1e9:0.#} GB/s");
            var benchmark = new DecodeBenchmark(decoder);
            var results = contextList.Select(c => benchmark.Run(c, batchList, stepCount, bandwidth, peerData, progress, ct)).ToList();
            var report = new DecodeBenchReport(
                $"{decoder.Accelerator.AcceleratorType} {decoder.Accelerator.Name}",
                parse.GetValue(model)!,
                decoder.WeightBytes,
                decoder.UsesTensorCores,
                decoder.UsesTensorCoreAttention,
                chunk,
                decoder.UsesSharedKvAttention,
                Math.Round(bandwidth / 1e9, 2),
                results,
                peerData);
            if (!parse.GetValue(json))
            {
                var table = new Table().AddColumns("context", "batch", "decode tok/s", "ms/step", "roofline tok/s", "share", "× transformers");
                foreach (var c in results)
                {
                    foreach (var b in c.Batches)
                    {
                        table.AddRow(N(c.Context), N(b.Batch), F(b.TokensPerSecond), F(b.MsPerStep), F(b.RooflineTokensPerSecond), F(b.ShareOfRoofline), F(b.SpeedupOverPeer));
                    }
                }

                AnsiConsole.Write(table);
            }

            await JsonOutput.WriteLastLineAsync(report);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static List<int> Numbers(string text, string option)
    {
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
            {
                throw new CliFailureException($"{option} expects positive numbers separated by commas; '{part}' is not one");
            }

            values.Add(value);
        }

        return values.Count > 0 ? values : throw new CliFailureException($"{option} names nothing");
    }

    private static TransformersPeer ReadPeer(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailureException($"--peer: file not found: {path}");
        }

        var peer = JsonSerializer.Deserialize<TransformersPeer>(File.ReadAllText(path), PeerJson);
        return peer is { DecodeTokensPerSecond: not null, PrefillTokensPerSecond: not null }
            ? peer
            : throw new CliFailureException($"--peer: {path} holds no \"decode_tokens_per_second\" and \"prefill_tokens_per_second\" figures (tools/bench/bench_transformers.py writes them)");
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-";
}
