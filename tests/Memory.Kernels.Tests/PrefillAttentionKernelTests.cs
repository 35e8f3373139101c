using Half = ILGPU.Half;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class PrefillAttentionKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(4, 2, 16, 16, 0, 140, 45)]
    [InlineData(4, 2, 16, 16, 37, 140, 45)]
    [InlineData(2, 1, 64, 16, 0, 140, 45)]
    [InlineData(3, 3, 24, 8, 20, 140, 45)]
    [InlineData(4, 2, 16, 16, 0, 60, 45)]
    [InlineData(4, 2, 16, 16, 0, 600, 45)]
    [InlineData(4, 2, 16, 16, 100, 600, 20)]
    [InlineData(2, 1, 64, 16, 0, 700, 33)]
    [InlineData(2, 2, 16, 16, 0, 650, 1)]
    public void A_chunk_of_one_sequence_matches_causal_attention_over_contiguous_keys(int heads, int kvHeads, int headDim, int blockSize, int window, int length, int chunk)
    {
        // The last `chunk` of `length` cached positions are this chunk: query tiles of 16, the last one partial. The
        // longer contexts are split over key ranges (several splits per tile and head, merged afterwards).
        int kvDim = kvHeads * headDim;
        var random = new Random((heads * 1000) + headDim + window);
        var keys = RoundToHalf(TestData.Floats(random, length * kvDim));
        var values = RoundToHalf(TestData.Floats(random, length * kvDim));
        int blocks = (length + blockSize - 1) / blockSize;
        var table = Enumerable.Range(0, blocks + 2).OrderBy(_ => random.Next()).Take(blocks).ToArray();
        var kCache = new float[(blocks + 2) * blockSize * kvDim];
        var vCache = new float[kCache.Length];
        for (int pos = 0; pos < length; pos++)
        {
            int slot = (table[pos / blockSize] * blockSize) + (pos % blockSize);
            Array.Copy(keys, pos * kvDim, kCache, slot * kvDim, kvDim);
            Array.Copy(values, pos * kvDim, vCache, slot * kvDim, kvDim);
        }

        var positions = Enumerable.Range(length - chunk, chunk).ToArray();
        var q = TestData.Floats(random, chunk * heads * headDim);
        using var qBuffer = fixture.Upload(q);
        using var kBuffer = fixture.Upload(kCache.Select(f => (Half)f).ToArray());
        using var vBuffer = fixture.Upload(vCache.Select(f => (Half)f).ToArray());
        using var posBuffer = fixture.Upload(positions);
        using var offBuffer = fixture.Upload(new int[chunk]);
        using var tableBuffer = fixture.Upload(table);
        using var output = fixture.Accelerator.Allocate1D<float>(q.Length);
        fixture.GroupedKernels.PrefillAttention(qBuffer.View, kBuffer.View, vBuffer.View, posBuffer.View, offBuffer.View, tableBuffer.View, output.View, chunk, heads, kvHeads, headDim, blockSize, length, window);
        var actual = fixture.Download(output, q.Length);

        var expected = new double[q.Length];
        for (int t = 0; t < chunk; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / (heads / kvHeads);
                int qb = ((t * heads) + h) * headDim;
                int first = window > 0 ? Math.Max(0, positions[t] - window + 1) : 0;
                var scores = new List<double>();
                for (int j = first; j <= positions[t]; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += q[qb + d] * keys[(j * kvDim) + (kvh * headDim) + d];
                    }

                    scores.Add(dot / Math.Sqrt(headDim));
                }

                double max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                for (int d = 0; d < headDim; d++)
                {
                    double acc = 0;
                    for (int j = 0; j < weights.Length; j++)
                    {
                        acc += weights[j] * values[((first + j) * kvDim) + (kvh * headDim) + d];
                    }

                    expected[qb + d] = acc / weights.Sum();
                }
            }
        }

        TestData.AssertClose(expected, actual, 1e-5);
    }

    private static float[] RoundToHalf(float[] values) => values.Select(f => (float)(System.Half)f).ToArray();
}
