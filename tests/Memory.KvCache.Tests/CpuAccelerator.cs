using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Memory.KvCache.Codec;

namespace Memory.KvCache.Tests;

/// <summary>
/// One ILGPU accelerator and a codec on it, shared by the tests of a collection: the CPU accelerator, or the first CUDA
/// device when MEMORY_TEST_ACCELERATOR=cuda (how tools/bench/gpu_tests.sh runs the codec tests on the GPU machine).
/// </summary>
public sealed class CpuAccelerator : IDisposable
{
    public CpuAccelerator()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("MEMORY_TEST_ACCELERATOR"), "cuda", StringComparison.OrdinalIgnoreCase))
        {
            Context = Context.Create(builder => builder.Cuda());
            Accelerator = Context.CreateCudaAccelerator(0);
        }
        else
        {
            Context = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, 2)));
            Accelerator = Context.CreateCPUAccelerator(0);
        }

        Codec = new KvBlockCodec(Accelerator);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    public KvBlockCodec Codec { get; }

    public void Dispose()
    {
        Codec.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}
