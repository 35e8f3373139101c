using ILGPU.Runtime;
using Half = ILGPU.Half;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>Runs <see cref="DecoderKernels.PrefillAttention"/> on one case and compares it with float64 causal attention.</summary>
internal static class PrefillAttentionCheck
{
    public static void AssertMatchesReference(Accelerator accelerator, DecoderKernels kernels, int heads, int kvHeads, int headDim, int blockSize, int window, int length, int chunk, double tolerance = 1e-5, float queryScale = 1f)
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
        var q = TestData.Floats(random, chunk * heads * headDim, queryScale);
        using var qBuffer = Upload(accelerator, q);
        using var kBuffer = Upload(accelerator, kCache.Select(f => (Half)f).ToArray());
        using var vBuffer = Upload(accelerator, vCache.Select(f => (Half)f).ToArray());
        using var posBuffer = Upload(accelerator, positions);
        using var offBuffer = Upload(accelerator, new int[chunk]);
        using var tableBuffer = Upload(accelerator, table);
        using var output = accelerator.Allocate1D<float>(q.Length);
        kernels.PrefillAttention(qBuffer.View, kBuffer.View, vBuffer.View, posBuffer.View, offBuffer.View, tableBuffer.View, output.View, chunk, heads, kvHeads, headDim, blockSize, length, window);
        var actual = Download(accelerator, output, q.Length);

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

        TestData.AssertClose(expected, actual, tolerance);
    }

    private static MemoryBuffer1D<T, ILGPU.Stride1D.Dense> Upload<T>(Accelerator accelerator, T[] values)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(Math.Max(1, values.Length));
        buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    private static T[] Download<T>(Accelerator accelerator, MemoryBuffer1D<T, ILGPU.Stride1D.Dense> buffer, int count)
        where T : unmanaged
    {
        accelerator.Synchronize();
        var result = new T[count];
        buffer.View.SubView(0, count).CopyToCPU(result);
        return result;
    }

    private static float[] RoundToHalf(float[] values) => values.Select(f => (float)(System.Half)f).ToArray();
}
