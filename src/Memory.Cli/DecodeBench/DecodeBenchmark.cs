using System.Diagnostics;
using Memory.Inference.Decoding;

namespace Memory.Cli.DecodeBench;

/// <summary>
/// Prefill and decode speed of the decoder on random prompts: per context length, one sequence is prefilled in
/// chunks three times (median tokens/s and time to first token), then for each batch size that many sequences of that context decode
/// together for a number of steps (tokens/s over all of them). Greedy sampling; warm-up steps are not timed.
/// </summary>
internal sealed class DecodeBenchmark(LlamaDecoder decoder)
{
    private const int PrefillRuns = 3;

    public DecodeContextResult Run(int context, IReadOnlyList<int> batches, int steps, double bandwidth, TransformersPeer? peer, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var random = new Random(context);
        int vocab = decoder.Config.VocabSize;
        int[] Prompt() => Enumerable.Range(0, context).Select(_ => random.Next(vocab)).ToArray();

        // Warm-up: the first launches compile and load kernels, and every prefill route (GEMM and attention variants,
        // split or not) first runs somewhere in a prompt's first two chunks.
        var warm = decoder.StartSequence(SamplingOptions.Greedy);
        decoder.Prefill(warm, Prompt().AsSpan(0, Math.Min(context, 1024)), cancellationToken);
        decoder.Step([warm], cancellationToken);
        decoder.EndSequence(warm);

        // The median of three prefills of the prompt (one run moved by up to ~25% between calls on the H200).
        progress?.Report($"context {context}: prefill");
        int[] prompt = Prompt();
        var prefillRuns = new double[PrefillRuns];
        DecoderSequence timed = null!;
        for (int run = 0; run < PrefillRuns; run++)
        {
            if (run > 0)
            {
                decoder.EndSequence(timed);
            }

            timed = decoder.StartSequence(SamplingOptions.Greedy);
            long begin = Stopwatch.GetTimestamp();
            decoder.Prefill(timed, prompt, cancellationToken);
            _ = timed.NextToken;
            prefillRuns[run] = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        }

        Array.Sort(prefillRuns);
        double prefillSeconds = prefillRuns[PrefillRuns / 2];
        long start;

        // The batch's sequences start from copies of this prompt's KV blocks instead of prefilling their own: a decode
        // step reads each sequence's own copy either way, and 32 prefills of 8K tokens would cost minutes of GPU time.
        int shared = Math.Min(decoder.FullBlockCount(timed), (context - 1) / decoder.KvBlockSize);
        var blocks = Enumerable.Range(0, shared).Select(i => decoder.ExportBlock(timed, i)).ToList();
        decoder.EndSequence(timed);
        progress?.Report($"context {context}: prefill {context / prefillSeconds:0.#} tokens/s");

        var results = new List<DecodeBatchResult>();
        long kvBytesPerToken = 2L * decoder.Config.NumLayers * decoder.Config.KvDim * sizeof(ushort);
        foreach (int batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report($"context {context}: batch {batch}");
            var sequences = new List<DecoderSequence>();
            try
            {
                for (int i = 0; i < batch; i++)
                {
                    var sequence = decoder.StartSequenceFromBlocks(blocks, SamplingOptions.Greedy);
                    sequences.Add(sequence);
                    decoder.Prefill(sequence, prompt.AsSpan(shared * decoder.KvBlockSize), cancellationToken);
                }

                progress?.Report($"context {context}: batch {batch} prefilled, decoding");
                decoder.Step(sequences, cancellationToken);
                start = Stopwatch.GetTimestamp();
                for (int s = 0; s < steps; s++)
                {
                    decoder.Step(sequences, cancellationToken);
                }

                _ = sequences[0].NextToken;
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                double tokensPerSecond = batch * steps / seconds;
                progress?.Report($"context {context}: batch {batch}: {tokensPerSecond:0.#} tokens/s, {seconds * 1000 / steps:0.###} ms/step");

                // One step reads every weight once and each sequence's keys and values (the batch shares the weights).
                long bytes = decoder.WeightBytes + (batch * (context + (steps / 2)) * kvBytesPerToken);
                double roofline = bandwidth / bytes * batch;
                double? peerRate = peer?.DecodeTokensPerSecond.GetValueOrDefault($"{context}x{batch}");
                results.Add(new DecodeBatchResult(
                    batch,
                    steps,
                    Math.Round(tokensPerSecond, 2),
                    Math.Round(seconds * 1000 / steps, 3),
                    bytes,
                    Math.Round(roofline, 2),
                    Math.Round(tokensPerSecond / roofline, 4),
                    peerRate is > 0 ? peerRate : null,
                    peerRate is > 0 ? Math.Round(tokensPerSecond / peerRate.Value, 3) : null));
            }
            finally
            {
                foreach (var sequence in sequences)
                {
                    decoder.EndSequence(sequence);
                }
            }
        }

        var config = decoder.Config;
        double layerWeights = (double)config.NumLayers * config.HiddenSize * ((2.0 * config.QDim) + (2.0 * config.KvDim) + (3.0 * config.IntermediateSize));
        double attentionFlopsPerToken = 4.0 * config.NumLayers * config.QDim * (context / 2.0);
        double flops = context * ((2 * layerWeights) + attentionFlopsPerToken);
        double prefillRate = context / prefillSeconds;
        double? peerPrefill = peer?.PrefillTokensPerSecond.GetValueOrDefault($"{context}");
        return new DecodeContextResult(
            context,
            Math.Round(prefillRate, 2),
            Math.Round(flops / prefillSeconds / 1e12, 3),
            peerPrefill is > 0 ? peerPrefill : null,
            peerPrefill is > 0 ? Math.Round(prefillRate / peerPrefill.Value, 3) : null,
            Math.Round(prefillSeconds * 1000, 2),
            results);
    }
}
