using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>
/// The tensor-core prefill attention (<see cref="MmaPrefillAttentionKernel"/>, head dimension 64, chunks of 64 tokens
/// or more) against float64 causal attention, on the CUDA device only. Its queries and probabilities are rounded to fp16
/// for the mma, hence the looser tolerance than the SIMT kernels'.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public sealed class MmaPrefillAttentionKernelTests(CpuAcceleratorFixture fixture)
{
    [CudaTheory]
    [InlineData(2, 1, 16, 0, 140, 100)]     // two query tiles, the second partial, blocks of 16 keys
    [InlineData(14, 2, 256, 0, 512, 512)]   // Qwen2.5-0.5B's first 512-token chunk: 8 tiles, no split
    [InlineData(14, 2, 256, 0, 3000, 512)]  // a late chunk of a long context: split over key ranges, merged
    [InlineData(4, 4, 16, 100, 600, 200)]   // sliding window inside the chunk
    [InlineData(4, 2, 16, 700, 2000, 64)]   // one tile, window longer than the chunk, split
    [InlineData(2, 2, 32, 0, 64, 64)]       // the whole context is the chunk
    public void A_chunk_matches_causal_attention(int heads, int kvHeads, int blockSize, int window, int length, int chunk)
    {
        Assert.True(fixture.GroupedKernels.TensorCoreAttention, "the CUDA device should run the prefill attention on the tensor cores");
        PrefillAttentionCheck.AssertMatchesReference(fixture.Accelerator, fixture.GroupedKernels, heads, kvHeads, MmaPrefillAttentionKernel.HeadDim, blockSize, window, length, chunk, tolerance: 4e-3, queryScale: 6f);
    }

    [Fact]
    public void The_cpu_accelerator_never_takes_it()
    {
        if (!CpuAcceleratorFixture.OnCuda)
        {
            Assert.False(fixture.GroupedKernels.TensorCoreAttention);
            Assert.False(fixture.Kernels.TensorCoreAttention);
        }
    }
}
