using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>One ILGPU CPU accelerator (warp size 4, groups of up to 32 threads) and the compiled kernels, shared by the tests.</summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public CpuAcceleratorFixture()
    {
        Context = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, 1)));
        Accelerator = Context.CreateCPUAccelerator(0);
        Kernels = new DecoderKernels(Accelerator);
        GroupedKernels = new DecoderKernels(Accelerator, threadPerItem: false);
    }

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
