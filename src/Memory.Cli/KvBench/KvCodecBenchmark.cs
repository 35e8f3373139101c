using System.Diagnostics;
using System.Runtime.InteropServices;
using Memory.Inference.Decoding;
using Memory.KvCache.Codec;

namespace Memory.Cli.KvBench;

/// <summary>
/// Compression and quality of every codec level on the KV a model really computes: windows of held-out text are
/// prefilled with exact KV; the KV of each window's first half (whole blocks) then goes through a level, is imported
/// into a new sequence, and the second half is scored again. Same tokens scored, same model: the perplexity difference
/// is what the codec costs. The 8-bit peer (per-row int8, fp16 scale) runs through the same path.
/// </summary>
internal sealed class KvCodecBenchmark(LlamaDecoder decoder, KvBlockCodec codec, IReadOnlyList<KvCodecPreset>? extraPresets = null)
{
    public (KvPerplexityRun Run, List<KvLevelResult> Levels) Run(int[] text, string textName, int windows, int windowTokens, IProgress<string>? progress, CancellationToken cancellationToken)
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
        var encodeSeconds = levels.ToDictionary(l => l, _ => 0.0);
        var decodeSeconds = levels.ToDictionary(l => l, _ => 0.0);
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

            foreach (var level in levels)
            {
                var restored = RoundTrip(blocks, level == "int8" ? null : presets[level], out long bytes, out double encodeS, out double decodeS);
                encoded[level] += bytes;
                encodeSeconds[level] += encodeS;
                decodeSeconds[level] += decodeS;
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

        double exactPerplexity = Math.Exp(exactLoss / scored);
        double rawBytes = elements * 2.0;
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
                level == "int8" ? null : Math.Round(rawBytes / encodeSeconds[level] / 1e9, 4),
                level == "int8" ? null : Math.Round(rawBytes / decodeSeconds[level] / 1e9, 4),
                Math.Round(perplexity, 4),
                Math.Round(((perplexity / exactPerplexity) - 1) * 100, 3));
        }).ToList();
        return (new KvPerplexityRun(textName, windows, windowTokens, context, scored, Math.Round(exactPerplexity, 4)), results);
    }

    private KvBlockData[] RoundTrip(KvBlockData[] blocks, KvCodecPreset? preset, out long bytes, out double encodeSeconds, out double decodeSeconds)
    {
        if (preset is null)
        {
            bytes = 0;
            encodeSeconds = decodeSeconds = 0;
            return blocks.Select(b => new KvBlockData(
                b.BlockIndex, b.NumLayers, b.KvDim, b.Tokens.ToArray(),
                Int8KvBaseline.RoundTrip(b.Keys.Span, b.KvDim),
                Int8KvBaseline.RoundTrip(b.Values.Span, b.KvDim))).ToArray();
        }

        var tensors = blocks.Select(b => new KvTensors(
            b.NumLayers, b.BlockSize, b.KvDim,
            MemoryMarshal.Cast<Half, ushort>(b.Keys.Span).ToArray(),
            MemoryMarshal.Cast<Half, ushort>(b.Values.Span).ToArray())).ToArray();
        long start = Stopwatch.GetTimestamp();
        var streams = codec.EncodeBatch(tensors, preset);
        encodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        bytes = streams.Sum(s => (long)s.Length);
        start = Stopwatch.GetTimestamp();
        var decoded = codec.DecodeBatch(streams);
        decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
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
