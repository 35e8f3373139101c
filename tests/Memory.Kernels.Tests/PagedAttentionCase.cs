using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>
/// A batch of decode attention inputs over several sequences: each sequence's keys and values (fp16-exact) in a paged
/// cache whose blocks are handed out shuffled, so the block tables, not contiguity, decide where a position lives; the
/// last <c>newTokens[s]</c> positions of sequence s are the batch's tokens. <see cref="Expected"/> is float64 causal
/// attention over the contiguous keys, the reference every decode attention kernel is held to.
/// </summary>
internal sealed class PagedAttentionCase
{
    private readonly float[][] _keys;
    private readonly float[][] _values;
    private readonly int[] _owners;

    public PagedAttentionCase(Random random, int[] lengths, int[] newTokens, int heads, int kvHeads, int headDim, int blockSize)
    {
        Heads = heads;
        KvHeads = kvHeads;
        HeadDim = headDim;
        BlockSize = blockSize;
        int kvDim = kvHeads * headDim;
        // The cache holds fp16, so the reference attends over the fp16-rounded keys and values.
        _keys = lengths.Select(n => RoundToHalf(TestData.Floats(random, n * kvDim))).ToArray();
        _values = lengths.Select(n => RoundToHalf(TestData.Floats(random, n * kvDim))).ToArray();
        int[] blocksPerSeq = lengths.Select(n => (n + blockSize - 1) / blockSize).ToArray();
        int totalBlocks = blocksPerSeq.Sum() + 3;
        var order = Enumerable.Range(0, totalBlocks).OrderBy(_ => random.Next()).ToArray();
        Table = order.Take(blocksPerSeq.Sum()).ToArray();
        var tableStart = new int[lengths.Length];
        for (int s = 1; s < lengths.Length; s++)
        {
            tableStart[s] = tableStart[s - 1] + blocksPerSeq[s - 1];
        }

        var kCache = new float[totalBlocks * blockSize * kvDim];
        var vCache = new float[kCache.Length];
        for (int s = 0; s < lengths.Length; s++)
        {
            for (int pos = 0; pos < lengths[s]; pos++)
            {
                int slot = (Table[tableStart[s] + (pos / blockSize)] * blockSize) + (pos % blockSize);
                Array.Copy(_keys[s], pos * kvDim, kCache, slot * kvDim, kvDim);
                Array.Copy(_values[s], pos * kvDim, vCache, slot * kvDim, kvDim);
            }
        }

        KCache = kCache.Select(f => (Half)f).ToArray();
        VCache = vCache.Select(f => (Half)f).ToArray();
        var positions = new List<int>();
        var offsets = new List<int>();
        var owners = new List<int>();
        for (int s = 0; s < lengths.Length; s++)
        {
            for (int pos = lengths[s] - newTokens[s]; pos < lengths[s]; pos++)
            {
                positions.Add(pos);
                offsets.Add(tableStart[s]);
                owners.Add(s);
            }
        }

        Positions = positions.ToArray();
        Offsets = offsets.ToArray();
        _owners = owners.ToArray();
        Q = TestData.Floats(random, Tokens * heads * headDim);
    }

    public int Heads { get; }

    public int KvHeads { get; }

    public int HeadDim { get; }

    public int BlockSize { get; }

    public int Tokens => Positions.Length;

    /// <summary>The longest context (position + 1) in the batch.</summary>
    public int MaxContext => Positions.Max() + 1;

    public float[] Q { get; }

    public Half[] KCache { get; }

    public Half[] VCache { get; }

    public int[] Positions { get; }

    /// <summary>Where each token's sequence's blocks start in <see cref="Table"/>.</summary>
    public int[] Offsets { get; }

    public int[] Table { get; }

    /// <summary>Runs <see cref="DecoderKernels.Attention"/> on the case and downloads the output.</summary>
    public float[] Run(Accelerator accelerator, DecoderKernels kernels, int maxContext, int window)
    {
        using var qBuffer = Upload(accelerator, Q);
        using var kBuffer = Upload(accelerator, KCache);
        using var vBuffer = Upload(accelerator, VCache);
        using var posBuffer = Upload(accelerator, Positions);
        using var offBuffer = Upload(accelerator, Offsets);
        using var tableBuffer = Upload(accelerator, Table);
        using var output = accelerator.Allocate1D<float>(Q.Length);
        kernels.Attention(qBuffer.View, kBuffer.View, vBuffer.View, posBuffer.View, offBuffer.View, tableBuffer.View, output.View, Tokens, Heads, KvHeads, HeadDim, BlockSize, maxContext, window);
        accelerator.Synchronize();
        var result = new float[Q.Length];
        output.View.CopyToCPU(result);
        return result;
    }

    /// <summary>Float64 causal attention of every (token, head) over its sequence's contiguous keys.</summary>
    public double[] Expected(int window)
    {
        int kvDim = KvHeads * HeadDim;
        var expected = new double[Q.Length];
        for (int t = 0; t < Tokens; t++)
        {
            int s = _owners[t];
            for (int h = 0; h < Heads; h++)
            {
                int kvh = h / (Heads / KvHeads);
                int qb = ((t * Heads) + h) * HeadDim;
                var scores = new double[Positions[t] + 1];
                for (int j = 0; j < scores.Length; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < HeadDim; d++)
                    {
                        dot += (double)Q[qb + d] * _keys[s][(j * kvDim) + (kvh * HeadDim) + d];
                    }

                    // A sliding window leaves out the keys more than window − 1 positions before the token.
                    scores[j] = window > 0 && j <= Positions[t] - window ? double.NegativeInfinity : dot / Math.Sqrt(HeadDim);
                }

                double max = scores.Max();
                var weights = scores.Select(v => Math.Exp(v - max)).ToArray();
                double sum = weights.Sum();
                for (int d = 0; d < HeadDim; d++)
                {
                    double acc = 0;
                    for (int j = 0; j < scores.Length; j++)
                    {
                        acc += weights[j] * _values[s][(j * kvDim) + (kvh * HeadDim) + d];
                    }

                    expected[qb + d] = acc / sum;
                }
            }
        }

        return expected;
    }

    private static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(Accelerator accelerator, T[] values)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(Math.Max(1, values.Length));
        buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    private static float[] RoundToHalf(float[] values) => values.Select(f => (float)(System.Half)f).ToArray();
}
