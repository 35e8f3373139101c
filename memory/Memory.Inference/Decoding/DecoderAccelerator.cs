using ILGPU;
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

    public static DecoderAccelerator Create(AcceleratorPreference preference)
    {
        if (preference != AcceleratorPreference.Cpu)
        {
            var context = Context.Create(builder => builder.Cuda().Math(MathMode.Default));
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

        // Warp size 4 and 8 warps per group simulate GPU grouping; one multiprocessor per core runs groups in parallel.
        var cpuContext = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, Math.Max(1, Environment.ProcessorCount))));
        return new DecoderAccelerator(cpuContext, cpuContext.CreateCPUAccelerator(0));
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
