using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class TiledMatMulKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(WeightType.BFloat16, 150, 77, 40, true)]
    [InlineData(WeightType.Float16, 128, 64, 64, false)]
    [InlineData(WeightType.Float32, 130, 13, 37, true)]
    public void Many_tokens_run_as_a_tiled_product_that_matches_the_reference(int type, int tokens, int n, int k, bool normed)
    {
        // The tiled kernel wants groups of 256 threads: the fixture's CPU device has 32, so on the CPU a wider device.
        using var context = fixture.Accelerator.AcceleratorType == AcceleratorType.CPU ? Context.Create(b => b.CPU(new CPUDevice(4, 64, 1))) : null;
        using var own = context?.CreateCPUAccelerator(0);
        var accelerator = own ?? fixture.Accelerator;
        // The fixture's grouped kernels send these products to the tensor cores on CUDA (x rounded to 16 bits, another
        // tolerance, MmaMatMulKernelTests): this test is about the FP32 tiled GEMM, so its own kernels there too.
        using var kernels = new DecoderKernels(own ?? fixture.Accelerator, threadPerItem: false, tensorCores: false);
        Assert.Equal(TiledMatMulKernel.GroupSize, kernels.GroupSize);
        Assert.True(tokens >= DecoderKernels.TiledMinTokens);

        const float eps = 1e-5f;
        int[] segments = [5, n - 4];
        var random = new Random(51 + type + tokens + n + k);
        var x = TestData.Floats(random, tokens * k, 3f);
        var (wWords, w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
        var (bWords, bias) = TestData.Encode(TestData.Floats(random, n), type);
        var (gWords, gain) = TestData.Encode(TestData.Floats(random, k, 2f), type);
        var initial = TestData.Floats(random, tokens * n);
        using var xBuffer = Upload(accelerator, x);
        using var wBuffer = Upload(accelerator, wWords);
        using var bBuffer = Upload(accelerator, bWords);
        using var gBuffer = Upload(accelerator, gWords);
        using var yBuffer = Upload(accelerator, initial);
        WeightView? norm = normed ? new WeightView(gBuffer.View, type) : null;
        kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, type), new WeightView(bBuffer.View, type), yBuffer.View, tokens, n, k, accumulate: true, norm, eps, segments);
        accelerator.Synchronize();
        var actual = new float[tokens * n];
        yBuffer.View.SubView(0, actual.Length).CopyToCPU(actual);

        var expected = MatMulReference.Compute(x, w, bias, normed ? gain : null, eps, initial, tokens, n, k, segments);
        TestData.AssertClose(expected, actual, 1e-4);
    }

    private static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(Accelerator accelerator, T[] values)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(values.Length);
        buffer.View.CopyFromCPU(values);
        return buffer;
    }
}
