using Half = ILGPU.Half;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class PrefillAttentionKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(4, 2, 16, 16, 0, 140, 45)]
    [InlineData(4, 2, 16, 16, 37, 140, 45)]
    [InlineData(2, 1, 64, 16, 0, 140, 45)]
    [InlineData(3, 3, 24, 8, 20, 140, 45)]
    [InlineData(4, 2, 16, 16, 0, 60, 45)]
    [InlineData(4, 2, 16, 16, 0, 600, 45)]
    [InlineData(4, 2, 16, 16, 100, 600, 20)]
    [InlineData(2, 1, 64, 16, 0, 700, 33)]
    [InlineData(2, 2, 16, 16, 0, 650, 1)]
    public void A_chunk_of_one_sequence_matches_causal_attention_over_contiguous_keys(int heads, int kvHeads, int headDim, int blockSize, int window, int length, int chunk)
        => PrefillAttentionCheck.AssertMatchesReference(fixture.Accelerator, fixture.GroupedKernels, heads, kvHeads, headDim, blockSize, window, length, chunk);
}
