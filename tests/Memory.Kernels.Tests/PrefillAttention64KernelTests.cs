using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>
/// The register-tiled prefill attention (<see cref="PrefillAttention64Kernel"/>), which needs 32-lane warps: on a CPU
/// accelerator shaped like a GPU (warps of 32, groups of 128 — slow, so the cases are small) or, when the shared
/// fixture is on CUDA (MEMORY_TEST_ACCELERATOR=cuda), on its accelerator and grouped kernels.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public sealed class PrefillAttention64KernelTests : IDisposable
{
    private readonly Context? _context;
    private readonly Accelerator _accelerator;
    private readonly DecoderKernels _kernels;
    private readonly bool _owned;

    public PrefillAttention64KernelTests(CpuAcceleratorFixture fixture)
    {
        if (fixture.Accelerator.AcceleratorType == AcceleratorType.Cuda)
        {
            _accelerator = fixture.Accelerator;
            _kernels = fixture.GroupedKernels;
            return;
        }

        _owned = true;
        _context = Context.Create(builder => builder.CPU(new CPUDevice(32, 4, 1)));
        _accelerator = _context.CreateCPUAccelerator(0);
        _kernels = new DecoderKernels(_accelerator, threadPerItem: false, attentionSplitKeys: CpuAcceleratorFixture.SplitKeys);
    }

    [Theory]
    [InlineData(2, 1, 64, 16, 0, 40, 23)]      // one split, one partial query tile, the causal edge inside the key tile
    [InlineData(2, 2, 64, 16, 0, 300, 20)]     // split over key ranges, merged
    [InlineData(4, 2, 64, 8, 50, 200, 33)]     // sliding window, three query tiles
    [InlineData(1, 1, 64, 16, 0, 130, 1)]      // a single query
    public void Matches_causal_attention(int heads, int kvHeads, int headDim, int blockSize, int window, int length, int chunk) =>
        PrefillAttentionCheck.AssertMatchesReference(_accelerator, _kernels, heads, kvHeads, headDim, blockSize, window, length, chunk);

    public void Dispose()
    {
        if (_owned)
        {
            _kernels.Dispose();
            _accelerator.Dispose();
            _context!.Dispose();
        }
    }
}
