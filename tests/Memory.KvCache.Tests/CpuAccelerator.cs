using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

/// <summary>One ILGPU CPU accelerator and a codec on it, shared by the tests of a collection.</summary>
public sealed class CpuAccelerator : IDisposable
{
    public CpuAccelerator()
    {
        Context = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, 2)));
        Accelerator = Context.CreateCPUAccelerator(0);
        Codec = new KvBlockCodec(Accelerator);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    public KvBlockCodec Codec { get; }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
