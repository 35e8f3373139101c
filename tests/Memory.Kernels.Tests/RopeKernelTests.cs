using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class RopeKernelTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Rotates_each_half_pair_by_position_times_frequency()
    {
        const int tokens = 4, heads = 3, headDim = 8;
        var random = new Random(21);
        var values = TestData.Floats(random, tokens * heads * headDim);
        int[] positions = [0, 1, 17, 8191];
        var invFreq = Enumerable.Range(0, headDim / 2).Select(j => (float)Math.Pow(10000, -2.0 * j / headDim)).ToArray();
        using var v = fixture.Upload(values);
        using var p = fixture.Upload(positions);
        using var table = new RopeTable(fixture.Accelerator, invFreq);
        table.EnsurePositions(100);
        table.EnsurePositions(positions.Max() + 1); // grows: the rows computed first must survive the copy
        fixture.Kernels.Rope(v.View, p.View, table, tokens, heads, headDim);
        var actual = fixture.Download(v, values.Length);

        var expected = new double[values.Length];
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int b = ((t * heads) + h) * headDim;
                for (int j = 0; j < headDim / 2; j++)
                {
                    double angle = positions[t] * invFreq[j]; // fp32 product, as in transformers
                    angle = (float)angle;
                    double x1 = values[b + j], x2 = values[b + j + (headDim / 2)];
                    expected[b + j] = (x1 * Math.Cos(angle)) - (x2 * Math.Sin(angle));
                    expected[b + j + (headDim / 2)] = (x2 * Math.Cos(angle)) + (x1 * Math.Sin(angle));
                }
            }
        }

        TestData.AssertClose(expected, actual, 1e-5);
    }
}
