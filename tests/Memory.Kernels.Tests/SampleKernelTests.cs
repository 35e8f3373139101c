using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class SampleKernelTests(CpuAcceleratorFixture fixture)
{
    private const int Vocab = 500;

    [Fact]
    public void Greedy_picks_the_lowest_index_among_equal_maxima()
    {
        var logits = TestData.Floats(new Random(4), 2 * Vocab);
        logits[123] = 5f;
        logits[321] = 5f;
        logits[Vocab + 499] = 9f;
        var tokens = Run(logits, [0f, -1f], [0, 0], [1f, 1f], [0.5f, 0.5f]);
        Assert.Equal([123, 499], tokens);
    }

    [Fact]
    public void Temperature_top_k_and_top_p_sampling_match_the_reference_for_many_draws()
    {
        var random = new Random(8);
        const int rows = 24;
        var logits = TestData.Floats(random, rows * Vocab, 4f);
        var temperatures = new float[rows];
        var topKs = new int[rows];
        var topPs = new float[rows];
        var uniforms = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            temperatures[r] = r % 3 == 0 ? 1f : r % 3 == 1 ? 0.7f : 1.6f;
            topKs[r] = r % 4 == 0 ? 0 : r % 4 == 1 ? 1 : r % 4 == 2 ? 40 : 7;
            topPs[r] = r % 2 == 0 ? 1f : 0.83f;
            uniforms[r] = (float)random.NextDouble();
        }

        var tokens = Run(logits, temperatures, topKs, topPs, uniforms);
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * Vocab, Vocab).ToArray();
            Assert.Equal(ReferenceSample(row, temperatures[r], topKs[r], topPs[r], uniforms[r]), tokens[r]);
        }
    }

    [Fact]
    public void Top_k_one_is_greedy_whatever_the_uniform()
    {
        var logits = TestData.Floats(new Random(12), 3 * Vocab, 2f);
        var tokens = Run(logits, [1f, 1f, 1f], [1, 1, 1], [1f, 1f, 1f], [0f, 0.5f, 0.999f]);
        for (int r = 0; r < 3; r++)
        {
            var row = logits.AsSpan(r * Vocab, Vocab).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), tokens[r]);
        }
    }

    [Fact]
    public void Greedy_over_a_vocabulary_of_several_arg_max_chunks_takes_the_lowest_index_of_the_maximum()
    {
        int vocab = (2 * ArgMaxKernel.ChunkSize) + 1234;
        var logits = TestData.Floats(new Random(13), 3 * vocab);
        // Row 0: the maximum twice, in the last chunk and the middle one; row 1: in the first element; row 2: last.
        logits[ArgMaxKernel.ChunkSize + 7] = 9f;
        logits[(2 * ArgMaxKernel.ChunkSize) + 5] = 9f;
        logits[vocab] = 9f;
        logits[(3 * vocab) - 1] = 9f;
        logits[(2 * vocab) + 3] = float.NaN; // never chosen
        var tokens = Run(logits, [0f, 0f, 0f], [0, 0, 0], [1f, 1f, 1f], [0f, 0f, 0f], vocab);
        Assert.Equal([ArgMaxKernel.ChunkSize + 7, 0, vocab - 1], tokens);
    }

    private int[] Run(float[] logits, float[] temperatures, int[] topKs, float[] topPs, float[] uniforms, int vocab = Vocab)
    {
        int rows = temperatures.Length;
        using var l = fixture.Upload(logits);
        using var t = fixture.Upload(temperatures);
        using var k = fixture.Upload(topKs);
        using var p = fixture.Upload(topPs);
        using var u = fixture.Upload(uniforms);
        using var output = fixture.Accelerator.Allocate1D<int>(rows);
        fixture.Kernels.Sample(l.View, t.View, k.View, p.View, u.View, output.View, rows, vocab);
        return fixture.Download(output, rows);
    }

    /// <summary>The documented semantics, written with a sort: d = max − x, keep the k smallest d, then the smallest prefix reaching p of the mass.</summary>
    private static int ReferenceSample(float[] logits, float temperature, int topK, float topP, float uniform)
    {
        float max = logits.Max();
        var distance = logits.Select(x => max - x).ToArray();
        var sorted = distance.OrderBy(d => d).ToArray();
        float limit = topK > 0 && topK < logits.Length ? sorted[topK - 1] : float.PositiveInfinity;
        double Weight(float d) => Math.Exp(-d / (double)temperature);
        if (topP < 1f)
        {
            double kept = distance.Where(d => d <= limit).Sum(Weight);
            double running = 0;
            foreach (float d in sorted.Where(d => d <= limit).Distinct())
            {
                running += distance.Where(x => x == d).Sum(Weight);
                if (running >= topP * kept)
                {
                    limit = d;
                    break;
                }
            }
        }

        double total = distance.Where(d => d <= limit).Sum(Weight);
        double target = uniform * total;
        double cumulative = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (distance[i] <= limit)
            {
                cumulative += Weight(distance[i]);
                if (cumulative > target)
                {
                    return i;
                }
            }
        }

        throw new InvalidOperationException("no token chosen");
    }
}
