using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class RmsNormKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Normalises_rows_and_scales_by_the_weight(bool withRowMap)
    {
        const int rows = 5, dim = 70;
        const float eps = 1e-6f;
        var random = new Random(11);
        var x = TestData.Floats(random, rows * dim, 3f);
        var (words, weight) = TestData.Encode(TestData.Floats(random, dim), WeightType.BFloat16);
        int[] map = withRowMap ? [4, 1] : [];
        int outRows = withRowMap ? map.Length : rows;
        using var input = fixture.Upload(x);
        using var w = fixture.Upload(words);
        using var rowMap = fixture.Upload(map);
        using var output = fixture.Accelerator.Allocate1D<float>(outRows * dim);
        fixture.Kernels.RmsNorm(input.View, withRowMap ? rowMap.View : null, new WeightView(w.View, WeightType.BFloat16), output.View, outRows, dim, eps);
        var actual = fixture.Download(output, outRows * dim);

        var expected = new double[outRows * dim];
        for (int r = 0; r < outRows; r++)
        {
            int source = withRowMap ? map[r] : r;
            double meanSquare = 0;
            for (int i = 0; i < dim; i++)
            {
                meanSquare += (double)x[(source * dim) + i] * x[(source * dim) + i];
            }

            double scale = 1 / Math.Sqrt((meanSquare / dim) + eps);
            for (int i = 0; i < dim; i++)
            {
                expected[(r * dim) + i] = x[(source * dim) + i] * scale * weight[i];
            }
        }

        TestData.AssertClose(expected, actual, 1e-5);
    }
}
