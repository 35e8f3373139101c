using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class PagedAttentionKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(4, 2, 16, 4, false, false)]
    [InlineData(3, 1, 24, 5, false, false)]
    [InlineData(2, 2, 64, 256, false, false)]
    [InlineData(4, 2, 16, 4, true, false)]
    [InlineData(3, 1, 24, 5, true, false)]
    [InlineData(2, 2, 64, 256, true, false)]
    [InlineData(4, 2, 16, 4, true, true)]
    [InlineData(3, 1, 24, 5, true, true)]
    [InlineData(2, 2, 64, 256, true, true)]
    [InlineData(4, 2, 16, 4, false, false, 5)]
    [InlineData(4, 2, 16, 4, true, false, 5)]
    [InlineData(3, 1, 24, 5, true, true, 20)]
    [InlineData(2, 2, 64, 256, true, true, 30)]
    public void Paged_cache_attention_matches_causal_attention_over_contiguous_keys(int heads, int kvHeads, int headDim, int blockSize, bool grouped, bool split, int window = 0)
    {
        var kernels = grouped ? fixture.GroupedKernels : fixture.Kernels;
        // Two sequences: 37 cached positions and 9, the last tokens of each in this batch (a prefill chunk and a decode).
        var batch = new PagedAttentionCase(new Random(heads * 100 + headDim), [37, 9], [6, 1], heads, kvHeads, headDim, blockSize);
        // With split, the longest context (37) spans five splits of the fixture's 8 keys, the shorter one (9) two, so
        // the merge sees empty splits too; without, the kernel is not told the context and runs one group per head.
        int maxContext = split ? batch.MaxContext : 0;
        Assert.True(!split || maxContext > 2 * CpuAcceleratorFixture.SplitKeys);
        var actual = batch.Run(fixture.Accelerator, kernels, maxContext, window);
        // Again: a launch leaves nothing behind that changes the next (split scratch is reused), and the same inputs give
        // the same bits.
        Assert.Equal(actual, batch.Run(fixture.Accelerator, kernels, maxContext, window));
        TestData.AssertClose(batch.Expected(window), actual, 1e-5);
    }
}
