using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Memory.Inference.Decoding;

/// <summary>An ILGPU context and the accelerator chosen from an <see cref="AcceleratorPreference"/>.</summary>
public sealed class DecoderAccelerator : IDisposable
{
    private DecoderAccelerator(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>True when ILGPU finds a CUDA device on this machine.</summary>
    public static bool CudaAvailable()
    {
        using var context = Context.Create(builder => builder.Cuda());
        return context.GetCudaDevices().Count > 0;
    }

    /// <param name="preference">Which accelerator to use.</param>
    /// <param name="headDim">The model's head dimension: it sets the group width the CPU accelerator is shaped for.</param>
    public static DecoderAccelerator Create(AcceleratorPreference preference, int headDim = 64)
    {
        if (preference != AcceleratorPreference.Cpu)
        {
            // Algorithms supplies PTX for the double-precision cosine and sine RoPE takes (no intrinsic exists for them).
            var context = Context.Create(builder => builder.Cuda().Math(MathMode.Default).EnableAlgorithms());
            if (context.GetCudaDevices().Count > 0)
            {
                return new DecoderAccelerator(context, context.CreateCudaAccelerator(0));
            }

            context.Dispose();
            if (preference == AcceleratorPreference.Cuda)
            {
                throw new InvalidOperationException("Accelerator=Cuda was configured but ILGPU finds no CUDA device on this machine");
            }
        }

        var cpuContext = Context.Create(builder => builder.CPU(CpuShape(headDim, Environment.ProcessorCount)));
        return new DecoderAccelerator(cpuContext, cpuContext.CreateCPUAccelerator(0));
    }

    /// <summary>
    /// The CPU accelerator runs every lane of a group as an OS thread, and the lanes meet at every barrier and warp
    /// shuffle; wide groups on a few cores spend their time there (a 32-lane group ran the reference tests 3× slower
    /// than a 16-lane one on 2 cores). So: warps of 2 lanes, a group just wide enough for the attention kernel
    /// (4 head dimensions per lane, at least 16 lanes), and one multiprocessor per 4 cores.
    /// </summary>
    public static CPUDevice CpuShape(int headDim, int processorCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 1);
        int lanes = 16;
        while (lanes * Kernels.KernelLimits.AttentionDimsPerThread < headDim && lanes < Kernels.KernelLimits.MaxGroupSize)
        {
            lanes *= 2;
        }

        const int warpSize = 2;
        return new CPUDevice(warpSize, lanes / warpSize, Math.Max(1, processorCount / 4));
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
