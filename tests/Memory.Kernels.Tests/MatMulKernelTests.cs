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
    [InlineData(WeightType.BFloat16, 2, true, true, true, 40)] // the few-token product: one tile of four, one slice
    [InlineData(WeightType.Float16, 3, false, true, true, 136)] // a partial tile of four over three slices
    [InlineData(WeightType.BFloat16, 8, true, false, true, 264)] // one full tile of eight over five slices
    [InlineData(WeightType.Float16, 11, true, true, true, 136)] // a full tile and a partial one
    [InlineData(WeightType.BFloat16, 20, true, true, true, 136)] // three tiles (8, 8, 4)
    [InlineData(WeightType.BFloat16, 32, false, true, true, 264)] // the most tokens it takes: four full tiles
    [InlineData(WeightType.Float16, 33, true, false, true, 40)] // one token past it: the warp-per-row product
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

    [Theory]
    [InlineData(WeightType.BFloat16, 1, 136, false)]
    [InlineData(WeightType.BFloat16, 6, 136, true)]
    [InlineData(WeightType.Float16, 5, 37, true)]
    [InlineData(WeightType.Float16, 2, 40, false)]
    [InlineData(WeightType.Float32, 3, 40, true)]
    [InlineData(WeightType.BFloat16, 1, 136, true)] // one token: the staged single-row product
    [InlineData(WeightType.Float16, 1, 40, true)]
    [InlineData(WeightType.BFloat16, 1, 264, true, 301)] // enough rows that each warp takes whole row pairs
    [InlineData(WeightType.BFloat16, 2, 40, true)] // the few-token product: per-token norms, one slice
    [InlineData(WeightType.Float16, 11, 136, true, 301)] // per-token squares summed over three slices, many row groups
    [InlineData(WeightType.BFloat16, 20, 264, true)]
    [InlineData(WeightType.BFloat16, 32, 264, true, 301)]
    public void Applies_an_rms_norm_of_x_and_writes_each_stacked_projection_as_its_own_matrix(int type, int tokens, int k, bool warpPerRow, int n = 13)
    {
        var kernels = warpPerRow ? fixture.GroupedKernels : fixture.Kernels;
        const float eps = 1e-5f;
        int[] segments = [5, n - 4];
        var random = new Random(31 + type + tokens + k);
        var x = TestData.Floats(random, tokens * k, 3f);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        var (bWords, bias) = TestData.Encode(TestData.Floats(random, n), type);
        var (gWords, gain) = TestData.Encode(TestData.Floats(random, k, 2f), type);

        using var xBuffer = fixture.Upload(x);
        using var wBuffer = fixture.Upload(wWords);
        using var bBuffer = fixture.Upload(bWords);
        using var gBuffer = fixture.Upload(gWords);
        using var yBuffer = fixture.Upload(new float[tokens * n]);
        kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, type), new WeightView(bBuffer.View, type), yBuffer.View, tokens, n, k, accumulate: false, new WeightView(gBuffer.View, type), eps, segments);
        var actual = fixture.Download(yBuffer, tokens * n);

        var expected = MatMulReference.Compute(x, w, bias, gain, eps, null, tokens, n, k, segments);
        TestData.AssertClose(expected, actual, 1e-4);
    }

    [Fact]
    public void Sliced_single_token_product_leaves_its_arrival_counts_ready_for_the_next_launch()
    {
        // K = 264 over slices of 64: five slices per row group, the last one partial; each launch's last group per row
        // group must find the count at zero, so a count left behind by one launch would corrupt the next.
        const int k = 264, n = 301, type = WeightType.Float16;
        const float eps = 1e-5f;
        var kernels = fixture.GroupedKernels;
        Assert.True(GemvKernel.Slices(k, CpuAcceleratorFixture.GemvSlice) > 1);
        var random = new Random(5);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        var (bWords, bias) = TestData.Encode(TestData.Floats(random, n), type);
        var (gWords, gain) = TestData.Encode(TestData.Floats(random, k, 2f), type);
        using var wBuffer = fixture.Upload(wWords);
        using var bBuffer = fixture.Upload(bWords);
        using var gBuffer = fixture.Upload(gWords);
        for (int launch = 0; launch < 3; launch++)
        {
            var x = TestData.Floats(random, k, 3f);
            using var xBuffer = fixture.Upload(x);
            using var yBuffer = fixture.Upload(new float[n]);
            kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, type), new WeightView(bBuffer.View, type), yBuffer.View, 1, n, k, accumulate: false, new WeightView(gBuffer.View, type), eps);
            var expected = MatMulReference.Compute(x, w, bias, gain, eps, null, 1, n, k, []);
            TestData.AssertClose(expected, fixture.Download(yBuffer, n), 1e-4);
        }
    }

    [Fact]
    public void Refuses_segments_outside_the_weight()
    {
        using var buffer = fixture.Upload(new float[4]);
        using var words = fixture.Upload(new ushort[4]);
        var weight = new WeightView(words.View, WeightType.BFloat16);
        var none = new WeightView(default, WeightType.None);
        Assert.Throws<ArgumentException>(() => fixture.Kernels.MatMul(buffer.View, weight, none, buffer.View, 1, 2, 2, false, null, 0f, 2));
        Assert.Throws<ArgumentException>(() => fixture.Kernels.MatMul(buffer.View, weight, none, buffer.View, 1, 2, 2, false, null, 0f, 1, 1));
    }

    [Theory]
    [InlineData(WeightType.BFloat16, 1, 136, 13, true)] // one launch: the activation applied while staging
    [InlineData(WeightType.Float16, 1, 40, 301, true)]
    [InlineData(WeightType.BFloat16, 3, 136, 13, true)] // the few-token product: the activation while staging
    [InlineData(WeightType.Float16, 12, 264, 21, true)] // two tiles (8, 4), five slices
    [InlineData(WeightType.BFloat16, 32, 136, 301, true)] // four tiles, many row groups
    [InlineData(WeightType.BFloat16, 33, 40, 13, true)] // past the few-token product: activation kernel, then the product
    [InlineData(WeightType.BFloat16, 1, 136, 13, false)]
    public void Gated_product_multiplies_silu_of_gate_by_up_before_the_weight(int type, int tokens, int k, int n, bool warpPerRow)
    {
        var kernels = warpPerRow ? fixture.GroupedKernels : fixture.Kernels;
        var random = new Random(41 + type + tokens + k + n);
        var gateUp = TestData.Floats(random, 2 * tokens * k, 3f);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        var (bWords, bias) = TestData.Encode(TestData.Floats(random, n), type);
        var initial = TestData.Floats(random, tokens * n);
        using var xBuffer = fixture.Upload(gateUp);
        using var wBuffer = fixture.Upload(wWords);
        using var bBuffer = fixture.Upload(bWords);
        using var yBuffer = fixture.Upload(initial);
        kernels.GatedMatMul(xBuffer.View, new WeightView(wBuffer.View, type), new WeightView(bBuffer.View, type), yBuffer.View, tokens, n, k, accumulate: true);
        var actual = fixture.Download(yBuffer, tokens * n);

        var expected = new double[tokens * n];
        for (int t = 0; t < tokens; t++)
        {
            for (int row = 0; row < n; row++)
            {
                double sum = initial[(t * n) + row] + bias[row];
                for (int c = 0; c < k; c++)
                {
                    double g = gateUp[(t * k) + c], u = gateUp[(tokens * k) + (t * k) + c];
                    sum += g / (1 + Math.Exp(-g)) * u * w[(row * k) + c];
                }

                expected[(t * n) + row] = sum;
            }
        }

        TestData.AssertClose(expected, actual, 1e-4);
    }
}
