using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class MatMulKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(WeightType.BFloat16, 1, false, false, false)]
    [InlineData(WeightType.BFloat16, 7, true, false, false)]
    [InlineData(WeightType.Float16, 5, true, true, false)]
    [InlineData(WeightType.Float32, 9, false, true, false)]
    [InlineData(WeightType.BFloat16, 1, false, false, true)]
    [InlineData(WeightType.BFloat16, 7, true, false, true)]
    [InlineData(WeightType.Float16, 5, true, true, true)]
    [InlineData(WeightType.Float32, 9, false, true, true)]
    [InlineData(WeightType.BFloat16, 1, true, true, true, 136)] // 8-byte loads; the last lane pass is partial
    [InlineData(WeightType.Float16, 6, false, false, true, 40)]
    [InlineData(WeightType.BFloat16, 3, false, true, true, 4)]
    public void Matches_a_double_precision_product_of_the_widened_weights(int type, int tokens, bool withBias, bool accumulate, bool warpPerRow, int k = 37)
    {
        var kernels = warpPerRow ? fixture.GroupedKernels : fixture.Kernels;
        Assert.Equal(!warpPerRow, kernels.ThreadPerItem);
        const int n = 13;
        var random = new Random(17 + type + tokens);
        var x = TestData.Floats(random, tokens * k);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        var (bWords, bias) = TestData.Encode(TestData.Floats(random, n), type);
        var initial = TestData.Floats(random, tokens * n);

        using var xBuffer = fixture.Upload(x);
        using var wBuffer = fixture.Upload(wWords);
        using var bBuffer = fixture.Upload(bWords);
        using var yBuffer = fixture.Upload(initial);
        var biasView = withBias ? new WeightView(bBuffer.View, type) : new WeightView(default, WeightType.None);
        kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, type), biasView, yBuffer.View, tokens, n, k, accumulate);
        var actual = fixture.Download(yBuffer, tokens * n);

        var expected = new double[tokens * n];
        for (int t = 0; t < tokens; t++)
        {
            for (int row = 0; row < n; row++)
            {
                double sum = (accumulate ? initial[(t * n) + row] : 0) + (withBias ? bias[row] : 0);
                for (int c = 0; c < k; c++)
                {
                    sum += (double)x[(t * k) + c] * w[(row * k) + c];
                }

                expected[(t * n) + row] = sum;
            }
        }

        TestData.AssertClose(expected, actual, 1e-5);
    }
}
