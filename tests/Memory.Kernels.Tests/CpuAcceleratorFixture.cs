using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>
/// One ILGPU accelerator and the compiled kernels, shared by the tests: the CPU accelerator (warp size 4, groups of up
/// to 32 threads), or the first CUDA device when MEMORY_TEST_ACCELERATOR=cuda, which is how the GPU machine runs these
/// same tests (tools/bench/gpu_session.sh).
/// </summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public CpuAcceleratorFixture()
    {
        if (OnCuda)
        {
            Context = Context.Create(builder => builder.Cuda().Math(MathMode.Default).EnableAlgorithms());
            Accelerator = Context.CreateCudaAccelerator(0);
        }
        else
        {
            Context = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, 1)));
            Accelerator = Context.CreateCPUAccelerator(0);
        }

        Kernels = new DecoderKernels(Accelerator, threadPerItem: true);
        GroupedKernels = new DecoderKernels(Accelerator, threadPerItem: false, attentionSplitKeys: SplitKeys, gemvSliceLength: GemvSlice, tensorCores: true);
    }

    /// <summary>Whether the tests run on the first CUDA device (MEMORY_TEST_ACCELERATOR=cuda) instead of the CPU accelerator.</summary>
    public static bool OnCuda =>
        string.Equals(Environment.GetEnvironmentVariable("MEMORY_TEST_ACCELERATOR"), "cuda", StringComparison.OrdinalIgnoreCase);

    /// <summary>Keys per split of <see cref="GroupedKernels"/>' attention: small, so short test contexts take the split path.</summary>
    public const int SplitKeys = 8;

    /// <summary>K slice of <see cref="GroupedKernels"/>' single-token product: short, so rows of more than 64 take the sliced path.</summary>
    public const int GemvSlice = 64;

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    /// <summary>The kernels as the CPU accelerator runs them (thread per item for matmul and attention).</summary>
    public DecoderKernels Kernels { get; }

    /// <summary>The kernels as a GPU runs them (warps and groups cooperating), so both variants are checked here.</summary>
    public DecoderKernels GroupedKernels { get; }

    public MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(T[] values)
        where T : unmanaged
    {
        var buffer = Accelerator.Allocate1D<T>(Math.Max(1, values.Length));
        if (values.Length > 0)
        {
            buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        }

        return buffer;
    }

    public T[] Download<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, int count)
        where T : unmanaged
    {
        Accelerator.Synchronize();
        var result = new T[count];
        buffer.View.SubView(0, count).CopyToCPU(result);
        return result;
    }

    public void Dispose()
    {
        Kernels.Dispose();
        GroupedKernels.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}
