using Memory.Inference.Decoding;

namespace Memory.Inference.Tests;

public sealed class DecoderOptionsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(8)]
    [InlineData(1024)]
    public void Accepts_a_gemv_slice_of_whole_eight_weight_loads(int? slice) =>
        new DecoderOptions { GemvSliceLength = slice }.Validate();

    [Theory]
    [InlineData(100)] // not a multiple of 8
    [InlineData(4)] // below the range
    public void Names_a_gemv_slice_the_kernel_cannot_read(int slice)
    {
        var error = Assert.Throws<ArgumentException>(() => new DecoderOptions { GemvSliceLength = slice }.Validate());
        Assert.Contains(nameof(DecoderOptions.GemvSliceLength), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)] // off: the warp-per-row product for 2-32 tokens
    [InlineData(4)]
    [InlineData(8)]
    public void Accepts_a_few_token_tile_with_a_kernel(int? tile) =>
        new DecoderOptions { FewTokenTile = tile }.Validate();

    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(-4)]
    public void Names_a_few_token_tile_without_a_kernel(int tile)
    {
        var error = Assert.Throws<ArgumentException>(() => new DecoderOptions { FewTokenTile = tile }.Validate());
        Assert.Contains(nameof(DecoderOptions.FewTokenTile), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_every_problem_at_once()
    {
        var error = Assert.Throws<ArgumentException>(() => new DecoderOptions { GemvSliceLength = 12, KvBlockSize = 0 }.Validate());
        Assert.Contains(nameof(DecoderOptions.GemvSliceLength), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DecoderOptions.KvBlockSize), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(1, false)]
    [InlineData(512, true)]
    public void Accepts_tensor_core_settings(int? minTokens, bool tensorCores) =>
        new DecoderOptions { TensorCores = tensorCores, TensorCoreMinTokens = minTokens }.Validate();

    [Fact]
    public void Names_a_tensor_core_threshold_below_one_token()
    {
        var error = Assert.Throws<ArgumentException>(() => new DecoderOptions { TensorCoreMinTokens = 0 }.Validate());
        Assert.Contains(nameof(DecoderOptions.TensorCoreMinTokens), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_cores_are_on_by_default() => Assert.True(new DecoderOptions().TensorCores);

    [Fact]
    public void Shared_kv_attention_is_on_by_default() => Assert.True(new DecoderOptions().SharedKvAttention);
}
