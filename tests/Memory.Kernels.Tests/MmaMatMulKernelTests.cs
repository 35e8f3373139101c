using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>
/// The tensor-core GEMM (<see cref="MmaMatMulKernel"/>) against a double-precision product of the inputs it actually
/// multiplies (x̂ rounded to the weight's 16-bit type), on the CUDA device only; and the routing that keeps every other
/// accelerator off it.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public sealed class MmaMatMulKernelTests(CpuAcceleratorFixture fixture)
{
    [CudaTheory]
    [InlineData(WeightType.BFloat16, 150, 77, 40, true, true, true, 5, 73)]     // ragged tokens and rows, k not a multiple of 16, three segments
    [InlineData(WeightType.Float16, 128, 64, 64, false, false, false, 0, 0)]    // whole tiles, plain product
    [InlineData(WeightType.BFloat16, 512, 1152, 896, true, true, false, 896, 1024)] // Qwen2.5-0.5B's QKV at a 512-token chunk
    [InlineData(WeightType.BFloat16, 129, 96, 4864, false, true, true, 0, 0)]   // the down projection's long k, accumulated
    [InlineData(WeightType.Float16, 300, 200, 136, true, true, true, 100, 0)]   // fp16 gain and bias, two segments
    [InlineData(WeightType.BFloat16, 1000, 33, 24, true, false, false, 0, 0)]   // many token tiles, one partial row tile
    public void Matches_a_double_precision_product_of_the_rounded_inputs(int type, int tokens, int n, int k, bool normed, bool withBias, bool accumulate, int segment1, int segment2)
    {
        var kernels = fixture.GroupedKernels;
        Assert.True(kernels.TensorCores, "the CUDA device should run products on the tensor cores");
        Assert.Equal(MatMulRoute.TensorCores, kernels.RouteOf(tokens, k, type, normed ? type : WeightType.None));
        int[] segments = [.. new[] { segment1, segment2 }.Where(s => s > 0)];

        const float eps = 1e-5f;
        var random = new Random(71 + type + tokens + n + k);
        var x = TestData.Floats(random, tokens * k, 3f);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        var (bWords, bias) = TestData.Encode(TestData.Floats(random, n), type);
        var (gWords, gain) = TestData.Encode(TestData.Floats(random, k, 2f), type);
        var initial = TestData.Floats(random, tokens * n);
        using var xBuffer = fixture.Upload(x);
        using var wBuffer = fixture.Upload(wWords);
        using var bBuffer = fixture.Upload(bWords);
        using var gBuffer = fixture.Upload(gWords);
        using var yBuffer = fixture.Upload(initial);
        WeightView? norm = normed ? new WeightView(gBuffer.View, type) : null;
        var biasView = withBias ? new WeightView(bBuffer.View, type) : new WeightView(default, WeightType.None);
        kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, type), biasView, yBuffer.View, tokens, n, k, accumulate, norm, eps, segments);
        var actual = fixture.Download(yBuffer, tokens * n);

        var (expected, bound) = RoundedProduct(x, w, withBias ? bias : null, normed ? gain : null, eps, accumulate ? initial : null, tokens, n, k, segments, type);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"NaN at {i}");
            Assert.True(Math.Abs(expected[i] - actual[i]) <= bound[i], $"index {i}: expected {expected[i]} ± {bound[i]}, got {actual[i]}");
        }
    }

    [CudaTheory]
    [InlineData(WeightType.BFloat16)]
    [InlineData(WeightType.Float16)]
    public void A_view_off_the_16_byte_grid_falls_back_to_the_fp32_tiled_product(int type)
    {
        const int tokens = 130;
        const int n = 70;
        const int k = 48;
        var kernels = fixture.GroupedKernels;
        Assert.Equal(MatMulRoute.Tiled, kernels.RouteOf(tokens, k, type, WeightType.None, aligned: false));
        var random = new Random(5 + type);
        var x = TestData.Floats(random, tokens * k);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        using var xBuffer = fixture.Upload<float>([0f, 0f, .. x]);
        using var wBuffer = fixture.Upload(wWords);
        using var yBuffer = fixture.Upload(new float[tokens * n]);
        // x two floats into its buffer: 8-byte aligned, as the warp kernels need, but not 16.
        kernels.MatMul(xBuffer.View.SubView(2, tokens * k), new WeightView(wBuffer.View, type), new WeightView(default, WeightType.None), yBuffer.View, tokens, n, k, accumulate: false);
        var actual = fixture.Download(yBuffer, tokens * n);

        var expected = MatMulReference.Compute(x, w, new float[n], null, 0f, null, tokens, n, k, []);
        TestData.AssertClose(expected, actual, 1e-4);
    }

    [CudaTheory]
    [InlineData(false, 128, MatMulRoute.Tiled)]
    [InlineData(true, 128, MatMulRoute.TensorCores)]
    [InlineData(true, 129, MatMulRoute.Tiled)]
    public void The_switch_and_the_threshold_pick_the_cuda_kernel(bool tensorCores, int minTokens, MatMulRoute expected)
    {
        using var kernels = new DecoderKernels(fixture.Accelerator, threadPerItem: false, tensorCores: tensorCores, tensorCoreMinTokens: minTokens);
        Assert.Equal(tensorCores, kernels.TensorCores);
        Assert.Equal(expected, kernels.RouteOf(128, 896, WeightType.BFloat16, WeightType.BFloat16));
        Assert.Equal(MatMulRoute.Tiled, kernels.RouteOf(512, 896, WeightType.Float32, WeightType.None));
        Assert.Equal(MatMulRoute.Tiled, kernels.RouteOf(512, 900, WeightType.BFloat16, WeightType.None));
        Assert.Equal(MatMulRoute.Gemv, kernels.RouteOf(1, 896, WeightType.BFloat16, WeightType.BFloat16));
    }

    [Fact]
    public void The_cpu_accelerator_never_routes_to_the_tensor_cores()
    {
        // Groups of 256 threads, so the tiled GEMM is eligible: the tensor-core kernel would be too if the CPU had any.
        using var context = Context.Create(builder => builder.CPU(new CPUDevice(4, 64, 1)));
        using var cpu = context.CreateCPUAccelerator(0);
        using var kernels = new DecoderKernels(cpu, threadPerItem: false, tensorCores: true, tensorCoreMinTokens: 1);
        Assert.False(kernels.TensorCores);
        foreach (int tokens in new[] { 1, 2, 64, 127, 128, 512, 4096 })
        {
            foreach (int type in new[] { WeightType.BFloat16, WeightType.Float16 })
            {
                var route = kernels.RouteOf(tokens, 896, type, type);
                Assert.NotEqual(MatMulRoute.TensorCores, route);
                Assert.Equal(tokens == 1 ? MatMulRoute.Gemv : tokens <= FewTokenGemvKernel.MaxTokens ? MatMulRoute.FewTokenGemv : tokens >= DecoderKernels.TiledMinTokens ? MatMulRoute.Tiled : MatMulRoute.Warp, route);
            }
        }

        if (fixture.Accelerator.AcceleratorType == AcceleratorType.CPU)
        {
            Assert.False(fixture.GroupedKernels.TensorCores);
            Assert.False(fixture.Kernels.TensorCores);
            Assert.Equal(MatMulRoute.PerThread, fixture.Kernels.RouteOf(512, 896, WeightType.BFloat16, WeightType.BFloat16));
        }
    }

    [Fact]
    public void A_tensor_core_threshold_below_one_token_is_refused()
    {
        using var context = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, 1)));
        using var cpu = context.CreateCPUAccelerator(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecoderKernels(cpu, tensorCoreMinTokens: 0));
    }

    /// <summary>
    /// The product as the kernel computes it, in double precision: x̂ = x · inverse RMS · gain rounded to nearest-even in
    /// the 16-bit type, times the exact weights. Also, per output, how far the kernel may lie from it: its fp32
    /// accumulation (3·10⁻⁵ of the summed magnitudes, tensor-core adds included), and one 16-bit step of every x̂ that
    /// lies so near a rounding midpoint that the kernel's fp32 norm (its inverse RMS summed in another order) may round
    /// it the other way.
    /// </summary>
    private static (double[] Expected, double[] Bound) RoundedProduct(float[] x, float[] w, float[]? bias, float[]? gain, float eps, float[]? initial, int tokens, int n, int k, int[] segments, int type)
    {
        var expected = new double[tokens * n];
        var bound = new double[tokens * n];
        int[] starts = [0, .. segments, n];
        var rounded = new double[k];
        var spread = new double[k];
        for (int t = 0; t < tokens; t++)
        {
            double squares = 0;
            for (int c = 0; c < k; c++)
            {
                squares += (double)x[(t * k) + c] * x[(t * k) + c];
            }

            double inverse = gain is null ? 1 : 1 / Math.Sqrt((squares / k) + eps);
            for (int c = 0; c < k; c++)
            {
                double v = x[(t * k) + c] * inverse * (gain?[c] ?? 1);
                rounded[c] = Round16((float)v, type);
                spread[c] = gain is null ? 0 : Math.Abs(Round16((float)(v * (1 + 1e-5)), type) - Round16((float)(v * (1 - 1e-5)), type));
            }

            for (int s = 0; s + 1 < starts.Length; s++)
            {
                int width = starts[s + 1] - starts[s];
                for (int row = starts[s]; row < starts[s + 1]; row++)
                {
                    int index = (tokens * starts[s]) + (t * width) + (row - starts[s]);
                    double sum = 0;
                    double magnitude = 0;
                    double ambiguity = 0;
                    for (int c = 0; c < k; c++)
                    {
                        double weight = w[(row * k) + c];
                        sum += rounded[c] * weight;
                        magnitude += Math.Abs(rounded[c] * weight);
                        ambiguity += spread[c] * Math.Abs(weight);
                    }

                    double b = bias?[row] ?? 0;
                    double start = initial?[index] ?? 0;
                    expected[index] = start + sum + b;
                    bound[index] = (3e-5 * (magnitude + Math.Abs(b))) + (1e-6 * Math.Abs(start)) + ambiguity + 1e-6;
                }
            }
        }

        return (expected, bound);
    }

    /// <summary><paramref name="value"/> rounded to nearest-even in bf16 or fp16, as cvt.rn.bf16x2.f32 / cvt.rn.f16x2.f32 do.</summary>
    private static double Round16(float value, int type)
    {
        if (type == WeightType.Float16)
        {
            return (double)(System.Half)value;
        }

        uint bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFFu + ((bits >> 16) & 1u);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
    }
}
