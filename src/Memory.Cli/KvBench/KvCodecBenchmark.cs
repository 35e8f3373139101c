using System.Diagnostics;
using System.Runtime.InteropServices;
using Memory.Inference.Decoding;
using Memory.KvCache.Codec;

namespace Memory.Cli.KvBench;

/// <summary>
/// Compression and quality of every codec level on the KV a model really computes: windows of held-out text are
/// prefilled with exact KV; the KV of each window's first half (whole blocks) then goes through a level, is imported
/// into a new sequence, and the second half is scored again. Same tokens scored, same model: the perplexity difference
/// is what the codec costs. The 8-bit peer (per-row int8, fp16 scale) runs through the same path. Codec throughput is
/// timed separately, on one batch of every window's blocks repeated to <paramref name="throughputBytes"/> of fp16: one
/// EncodeBatch and one DecodeBatch call over the whole batch, as a tier reading many blocks at once would make, and
/// large enough that a GPU decoder has a lane per thread to spare (a window's few blocks would time launch latency).
/// </summary>
internal sealed class KvCodecBenchmark(LlamaDecoder decoder, KvBlockCodec codec, IReadOnlyList<KvCodecPreset>? extraPresets = null, long throughputBytes = KvCodecBenchmark.DefaultThroughputBytes)
{
    /// <summary>fp16 bytes in the throughput batch by default: about 290 demo-model blocks, 32K rANS lanes.</summary>
    public const long DefaultThroughputBytes = 256L << 20;

    /// <summary>Timed calls per level and direction; the fastest is reported (the first, untimed, warms up).</summary>
    private const int ThroughputCalls = 3;

    public (KvPerplexityRun Run, List<KvLevelResult> Levels, KvCodecThroughputBatch Batch) Run(int[] text, string textName, int windows, int windowTokens, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        int blockSize = decoder.KvBlockSize;
        int contextBlocks = windowTokens / 2 / blockSize;
        if (contextBlocks < 1)
        {
            throw new Hosting.CliFailureException($"--window {windowTokens} must be at least twice the block size {blockSize}");
        }

        int context = contextBlocks * blockSize;
        int vocab = decoder.Config.VocabSize;
        int stride = Math.Max(windowTokens, (text.Length - windowTokens) / Math.Max(1, windows));
        if ((long)stride * (windows - 1) + windowTokens > text.Length)
        {
            throw new Hosting.CliFailureException($"the text has {text.Length} tokens; {windows} windows of {windowTokens} need more (lower --windows or --window)");
        }

        var presets = KvCodecPreset.All.Concat(extraPresets ?? []).ToDictionary(p => p.Name);
        var levels = presets.Keys.Append("int8").ToArray();
        var loss = levels.ToDictionary(l => l, _ => 0.0);
        var encoded = levels.ToDictionary(l => l, _ => 0L);
        var allBlocks = new List<KvTensors>();
        var squaredError = levels.ToDictionary(l => l, _ => 0.0);
        var maxError = levels.ToDictionary(l => l, _ => 0.0);
        double squaredSignal = 0;
        long elements = 0;
        double exactLoss = 0;
        int scored = 0;

        for (int w = 0; w < windows; w++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report($"window {w + 1}/{windows}");
            var window = text.AsSpan(w * stride, windowTokens).ToArray();
            var targets = window.AsSpan(context + 1).ToArray();

            var sequence = decoder.StartSequence(SamplingOptions.Greedy);
            float[] exact;
            KvBlockData[] blocks;
            try
            {
                exact = decoder.PrefillWithAllLogits(sequence, window, cancellationToken);
                blocks = Enumerable.Range(0, contextBlocks).Select(b => decoder.ExportBlock(sequence, b)).ToArray();
            }
            finally
            {
                decoder.EndSequence(sequence);
            }

            exactLoss += NextTokenLoss.Sum(exact.AsSpan(context * vocab, targets.Length * vocab), vocab, targets);
            scored += targets.Length;
            foreach (var block in blocks)
            {
                elements += block.Keys.Length + block.Values.Length;
                squaredSignal += SumSquares(block.Keys.Span) + SumSquares(block.Values.Span);
            }

            allBlocks.AddRange(blocks.Select(Tensors));

            foreach (var level in levels)
            {
                var restored = RoundTrip(blocks, level == "int8" ? null : presets[level], out long bytes);
                encoded[level] += bytes;
                for (int b = 0; b < blocks.Length; b++)
                {
                    Accumulate(blocks[b].Keys.Span, restored[b].Keys.Span, squaredError, maxError, level);
                    Accumulate(blocks[b].Values.Span, restored[b].Values.Span, squaredError, maxError, level);
                }

                var resumed = decoder.StartSequenceFromBlocks(restored, SamplingOptions.Greedy);
                try
                {
                    var logits = decoder.PrefillWithAllLogits(resumed, window.AsSpan(context), cancellationToken);
                    loss[level] += NextTokenLoss.Sum(logits.AsSpan(0, targets.Length * vocab), vocab, targets);
                }
                finally
                {
                    decoder.EndSequence(resumed);
                }
            }
        }

        var batch = ThroughputBatch(allBlocks);
        double batchBytes = batch.Sum(b => b.Elements * 4.0);
        var encodeSeconds = new Dictionary<string, double>();
        var decodeSeconds = new Dictionary<string, double>();
        long fallbacksBefore = codec.HostEncodedSections;
        foreach (var (name, preset) in presets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report($"codec throughput: {name}, {batch.Length} blocks");
            (encodeSeconds[name], decodeSeconds[name]) = TimeBatch(batch, preset);
        }

        double exactPerplexity = Math.Exp(exactLoss / scored);
        int kvDim = decoder.Config.KvDim;
        var results = levels.Select(level =>
        {
            double bits = level == "int8" ? Int8KvBaseline.BitsPerElement(kvDim) : encoded[level] * 8.0 / elements;
            double perplexity = Math.Exp(loss[level] / scored);
            return new KvLevelResult(
                level,
                Math.Round(bits, 4),
                Math.Round(16.0 / bits, 3),
                Math.Round(Int8KvBaseline.BitsPerElement(kvDim) / bits, 3),
                Math.Round(Math.Sqrt(squaredError[level] / squaredSignal), 5),
                Math.Round(maxError[level], 5),
                level == "int8" ? null : Math.Round(batchBytes / encodeSeconds[level] / 1e9, 4),
                level == "int8" ? null : Math.Round(batchBytes / decodeSeconds[level] / 1e9, 4),
                Math.Round(perplexity, 4),
                Math.Round(((perplexity / exactPerplexity) - 1) * 100, 3));
        }).ToList();
        var throughput = new KvCodecThroughputBatch(
            batch.Length, allBlocks.Count, (long)batchBytes, ThroughputCalls, "fastest of the timed calls; one EncodeBatch or DecodeBatch call over the whole batch (the windows' blocks, repeated)",
            codec.QuantizesOnAccelerator ? "device" : "host", codec.HostEncodedSections - fallbacksBefore, PageableStaging.Count);
        return (new KvPerplexityRun(textName, windows, windowTokens, context, scored, Math.Round(exactPerplexity, 4)), results, throughput);
    }

    private static KvTensors Tensors(KvBlockData block) => new(
        block.NumLayers, block.BlockSize, block.KvDim,
        MemoryMarshal.Cast<Half, ushort>(block.Keys.Span).ToArray(),
        MemoryMarshal.Cast<Half, ushort>(block.Values.Span).ToArray());

    /// <summary>Every window's blocks, repeated in order until the batch holds the wanted fp16 bytes (each block at least once).</summary>
    private KvTensors[] ThroughputBatch(List<KvTensors> blocks)
    {
        var batch = new List<KvTensors>(blocks);
        long bytes = blocks.Sum(b => b.Elements * 4);
        for (int i = 0; bytes < throughputBytes && blocks.Count > 0; i++)
        {
            batch.Add(blocks[i % blocks.Count]);
            bytes += blocks[i % blocks.Count].Elements * 4;
        }

        return [.. batch];
    }

    private (double EncodeSeconds, double DecodeSeconds) TimeBatch(KvTensors[] batch, KvCodecPreset preset)
    {
        // Untimed first: kernels compile, pools and the JIT warm up.
        var streams = codec.EncodeBatch(batch, preset);
        codec.DecodeBatch(streams);
        double encode = double.MaxValue, decode = double.MaxValue;
        for (int call = 0; call < ThroughputCalls; call++)
        {
            long start = Stopwatch.GetTimestamp();
            streams = codec.EncodeBatch(batch, preset);
            encode = Math.Min(encode, Stopwatch.GetElapsedTime(start).TotalSeconds);
            start = Stopwatch.GetTimestamp();
            codec.DecodeBatch(streams);
            decode = Math.Min(decode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return (encode, decode);
    }

    private KvBlockData[] RoundTrip(KvBlockData[] blocks, KvCodecPreset? preset, out long bytes)
    {
        if (preset is null)
        {
            bytes = 0;
            return blocks.Select(b => new KvBlockData(
                b.BlockIndex, b.NumLayers, b.KvDim, b.Tokens.ToArray(),
                Int8KvBaseline.RoundTrip(b.Keys.Span, b.KvDim),
                Int8KvBaseline.RoundTrip(b.Values.Span, b.KvDim))).ToArray();
        }

        var streams = codec.EncodeBatch(blocks.Select(Tensors).ToArray(), preset);
        bytes = streams.Sum(s => (long)s.Length);
        var decoded = codec.DecodeBatch(streams);
        return blocks.Select((b, i) => new KvBlockData(
            b.BlockIndex, b.NumLayers, b.KvDim, b.Tokens.ToArray(),
            MemoryMarshal.Cast<ushort, Half>(decoded[i].Keys).ToArray(),
            MemoryMarshal.Cast<ushort, Half>(decoded[i].Values).ToArray())).ToArray();
    }

    private static double SumSquares(ReadOnlySpan<Half> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            double x = (double)v;
            sum += x * x;
        }

        return sum;
    }

    private static void Accumulate(ReadOnlySpan<Half> original, ReadOnlySpan<Half> restored, Dictionary<string, double> squared, Dictionary<string, double> max, string level)
    {
        double sum = 0;
        double worst = max[level];
        for (int i = 0; i < original.Length; i++)
        {
            double d = (double)original[i] - (double)restored[i];
            sum += d * d;
            worst = Math.Max(worst, Math.Abs(d));
        }

        squared[level] += sum;
        max[level] = worst;
    }
}
