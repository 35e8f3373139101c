using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Memory.Kernels;

namespace Memory.Kernels.Tests;

/// <summary>
/// <see cref="DecodeAttentionKernel"/> through <see cref="DecoderKernels.Attention"/> on the CPU accelerator (warps of 4,
/// groups and tiles of 32 keys), against float64 attention; the old kernel (<c>sharedKvAttention: false</c>) on the same
/// cases, since it stays the fallback and the A/B arm.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public sealed class DecodeAttentionKernelTests(CpuAcceleratorFixture fixture) : IDisposable
{
    // The old kernel as the grouped path ran it before, with the fixture's short splits.
    private readonly DecoderKernels _perHead = new(fixture.Accelerator, threadPerItem: false, attentionSplitKeys: CpuAcceleratorFixture.SplitKeys, sharedKvAttention: false);

    [Theory]
    [InlineData(2, 2, 64, false, 0)] // one query head per kv head
    [InlineData(2, 2, 64, true, 0)]
    [InlineData(4, 2, 32, true, 0)] // G = 2
    [InlineData(4, 2, 40, false, 0)] // an odd number of 16-byte loads per row
    [InlineData(4, 2, 40, true, 0)]
    [InlineData(14, 2, 64, false, 0)] // Qwen2.5-0.5B: G = 7
    [InlineData(14, 2, 64, true, 0)]
    [InlineData(14, 2, 64, true, 20)]
    [InlineData(8, 1, 32, true, 0)] // G = 8
    [InlineData(8, 1, 64, false, 0)]
    [InlineData(8, 1, 40, true, 17)] // a window of 17 over splits of 8: the last split holds one key
    [InlineData(8, 1, 40, false, 13)] // a window within the tile
    [InlineData(2, 1, 128, true, 0)] // two batches of key loads per row
    [InlineData(8, 1, 128, false, 0)]
    public void A_batch_over_several_sequences_matches_causal_attention(int heads, int kvHeads, int headDim, bool split, int window)
    {
        var kernels = fixture.GroupedKernels;
        Assert.True(kernels.UsesSharedKvAttention(heads, kvHeads, headDim));
        // Three sequences with their own block tables and positions (blocks of 16, so contexts cross block boundaries,
        // and tiles of 32): two tokens of the first, a decode token of each of the others.
        var batch = new PagedAttentionCase(new Random((heads * 1000) + headDim + window), [45, 9, 70], [2, 1, 1], heads, kvHeads, headDim, 16);
        // With split, 70 keys over splits of 8: nine splits, most of them empty for the short sequence.
        int maxContext = split ? batch.MaxContext : 0;
        var expected = batch.Expected(window);
        var actual = batch.Run(fixture.Accelerator, kernels, maxContext, window);
        TestData.AssertClose(expected, actual, 1e-5);
        // A second launch reuses the split scratch and gives the same bits.
        Assert.Equal(actual, batch.Run(fixture.Accelerator, kernels, maxContext, window));
        TestData.AssertClose(expected, batch.Run(fixture.Accelerator, _perHead, maxContext, window), 1e-5);
    }

    [Theory]
    [InlineData(14, 2, 64, 0)]
    [InlineData(4, 2, 40, 90)] // a window longer than two splits: still split, from position 10
    public void Splits_of_several_tiles_carry_the_softmax_across_tiles(int heads, int kvHeads, int headDim, int window)
    {
        // Splits of 40 keys over tiles of 32: every full split walks two tiles, rescaling what the first one summed.
        using var kernels = new DecoderKernels(fixture.Accelerator, threadPerItem: false, attentionSplitKeys: 40);
        var batch = new PagedAttentionCase(new Random(heads + headDim + window), [100, 9, 45], [1, 1, 1], heads, kvHeads, headDim, 16);
        Assert.True(kernels.UsesSharedKvAttention(heads, kvHeads, headDim));
        Assert.True(Math.Min(batch.MaxContext, window > 0 ? window : int.MaxValue) > 2 * 40);
        TestData.AssertClose(batch.Expected(window), batch.Run(fixture.Accelerator, kernels, batch.MaxContext, window), 1e-5);
    }

    [Theory]
    [InlineData(14, 2, 64, 0)]
    [InlineData(8, 1, 128, 0)]
    [InlineData(4, 2, 40, 150)]
    public void Matches_on_warps_and_groups_shaped_like_a_gpus(int heads, int kvHeads, int headDim, int window)
    {
        // 32-lane warps in groups (and tiles) of 128 keys, splits of 128, as on CUDA: a context of 300 takes three splits,
        // the last one partial (a window of 150, one split of two tiles), and the softmax's four warps take up to two heads each.
        if (fixture.Accelerator.AcceleratorType != AcceleratorType.CPU)
        {
            return;
        }

        using var context = Context.Create(b => b.CPU(new CPUDevice(32, 4, 1)));
        using var accelerator = context.CreateCPUAccelerator(0);
        using var kernels = new DecoderKernels(accelerator, threadPerItem: false);
        Assert.Equal(128, kernels.AttentionGroupSize);
        Assert.True(kernels.UsesSharedKvAttention(heads, kvHeads, headDim));
        var batch = new PagedAttentionCase(new Random(heads + headDim), [300, 20], [1, 1], heads, kvHeads, headDim, 16);
        TestData.AssertClose(batch.Expected(window), batch.Run(accelerator, kernels, batch.MaxContext, window), 1e-5);
    }

    [Fact]
    public void Shapes_outside_its_limits_take_the_per_head_kernel()
    {
        var kernels = fixture.GroupedKernels;
        Assert.True(kernels.SharedKvAttention);
        Assert.False(kernels.UsesSharedKvAttention(9, 1, 64)); // G = 9
        Assert.False(kernels.UsesSharedKvAttention(4, 2, 36)); // not whole 16-byte loads
        Assert.False(kernels.UsesSharedKvAttention(4, 2, 256)); // wider than the kernel's tiles
        Assert.False(_perHead.UsesSharedKvAttention(14, 2, 64));
        Assert.False(fixture.Kernels.SharedKvAttention); // thread per item has no groups to share with
        Assert.True(DecodeAttentionKernel.Supports(8, 128, 128)); // the widest shape fits 48 KB on a GPU's groups of 128
        Assert.False(DecodeAttentionKernel.Supports(8, 128, 256));

        // A fallback shape still matches the reference through the old kernel: G = 9, and a head of 36.
        foreach (var (heads, kvHeads, headDim) in new[] { (9, 1, 16), (4, 2, 36) })
        {
            var batch = new PagedAttentionCase(new Random(headDim), [45, 9], [1, 1], heads, kvHeads, headDim, 16);
            TestData.AssertClose(batch.Expected(0), batch.Run(fixture.Accelerator, kernels, batch.MaxContext, 0), 1e-5);
        }
    }

    public void Dispose() => _perHead.Dispose();
}
