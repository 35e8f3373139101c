using Half = ILGPU.Half;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class PagedAttentionKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(4, 2, 16, 4, false, false)]
    [InlineData(3, 1, 24, 5, false, false)]
    [InlineData(2, 2, 64, 256, false, false)]
    [InlineData(4, 2, 16, 4, true, false)]
    [InlineData(3, 1, 24, 5, true, false)]
    [InlineData(2, 2, 64, 256, true, false)]
    [InlineData(4, 2, 16, 4, true, true)]
    [InlineData(3, 1, 24, 5, true, true)]
    [InlineData(2, 2, 64, 256, true, true)]
    [InlineData(4, 2, 16, 4, false, false, 5)]
    [InlineData(4, 2, 16, 4, true, false, 5)]
    [InlineData(3, 1, 24, 5, true, true, 20)]
    [InlineData(2, 2, 64, 256, true, true, 30)]
    public void Paged_cache_attention_matches_causal_attention_over_contiguous_keys(int heads, int kvHeads, int headDim, int blockSize, bool grouped, bool split, int window = 0)
    {
        var kernels = grouped ? fixture.GroupedKernels : fixture.Kernels;
        // Two sequences: 37 cached positions and 9, the last tokens of each in this batch (a prefill chunk and a decode).
        int[] lengths = [37, 9];
        int[] newTokens = [6, 1];
        int kvDim = kvHeads * headDim;
        var random = new Random(heads * 100 + headDim);
        // The cache holds fp16, so the reference attends over the fp16-rounded keys and values.
        var keys = lengths.Select(n => RoundToHalf(TestData.Floats(random, n * kvDim))).ToArray();
        var values = lengths.Select(n => RoundToHalf(TestData.Floats(random, n * kvDim))).ToArray();

        // Blocks are handed out shuffled so the block table, not contiguity, decides where a position lives.
        int[] blocksPerSeq = lengths.Select(n => (n + blockSize - 1) / blockSize).ToArray();
        int totalBlocks = blocksPerSeq.Sum() + 3;
        var order = Enumerable.Range(0, totalBlocks).OrderBy(_ => random.Next()).ToArray();
        var table = order.Take(blocksPerSeq.Sum()).ToArray();
        int[] tableStart = [0, blocksPerSeq[0]];
        var kCache = new float[totalBlocks * blockSize * kvDim];
        var vCache = new float[kCache.Length];
        for (int s = 0; s < lengths.Length; s++)
        {
            for (int pos = 0; pos < lengths[s]; pos++)
            {
                int slot = (table[tableStart[s] + (pos / blockSize)] * blockSize) + (pos % blockSize);
                Array.Copy(keys[s], pos * kvDim, kCache, slot * kvDim, kvDim);
                Array.Copy(values[s], pos * kvDim, vCache, slot * kvDim, kvDim);
            }
        }

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

        int tokens = positions.Count;
        var q = TestData.Floats(random, tokens * heads * headDim);
        using var qBuffer = fixture.Upload(q);
        using var kBuffer = fixture.Upload(ToHalf(kCache));
        using var vBuffer = fixture.Upload(ToHalf(vCache));
        using var posBuffer = fixture.Upload(positions.ToArray());
        using var offBuffer = fixture.Upload(offsets.ToArray());
        using var tableBuffer = fixture.Upload(table);
        using var output = fixture.Accelerator.Allocate1D<float>(q.Length);
        // With split, the longest context (37) spans five splits of the fixture's 8 keys, the shorter one (9) two, so
        // the merge sees empty splits too; without, the kernel is not told the context and runs one group per head.
        int maxContext = split ? positions.Max() + 1 : 0;
        Assert.True(!split || maxContext > 2 * CpuAcceleratorFixture.SplitKeys);
        kernels.Attention(qBuffer.View, kBuffer.View, vBuffer.View, posBuffer.View, offBuffer.View, tableBuffer.View, output.View, tokens, heads, kvHeads, headDim, blockSize, maxContext, window);
        var actual = fixture.Download(output, q.Length);
        // Again: a launch leaves nothing behind that changes the next (split scratch is reused), and the same inputs give
        // the same bits.
        kernels.Attention(qBuffer.View, kBuffer.View, vBuffer.View, posBuffer.View, offBuffer.View, tableBuffer.View, output.View, tokens, heads, kvHeads, headDim, blockSize, maxContext, window);
        Assert.Equal(actual, fixture.Download(output, q.Length));

        var expected = new double[q.Length];
        for (int t = 0; t < tokens; t++)
        {
            int s = owners[t];
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / (heads / kvHeads);
                int qb = ((t * heads) + h) * headDim;
                var scores = new double[positions[t] + 1];
                for (int j = 0; j < scores.Length; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += (double)q[qb + d] * keys[s][(j * kvDim) + (kvh * headDim) + d];
                    }

                    // A sliding window leaves out the keys more than window − 1 positions before the token.
                    scores[j] = window > 0 && j <= positions[t] - window ? double.NegativeInfinity : dot / Math.Sqrt(headDim);
                }

                double max = scores.Max();
                var weights = scores.Select(v => Math.Exp(v - max)).ToArray();
                double sum = weights.Sum();
                for (int d = 0; d < headDim; d++)
                {
                    double acc = 0;
                    for (int j = 0; j < scores.Length; j++)
                    {
                        acc += weights[j] * values[s][(j * kvDim) + (kvh * headDim) + d];
                    }

                    expected[qb + d] = acc / sum;
                }
            }
        }

        TestData.AssertClose(expected, actual, 1e-5);
    }

    private static float[] RoundToHalf(float[] values) => values.Select(f => (float)(System.Half)f).ToArray();

    private static Half[] ToHalf(float[] values) => values.Select(f => (Half)f).ToArray();
}
