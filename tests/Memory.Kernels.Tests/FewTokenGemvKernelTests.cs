using Memory.Kernels;

namespace Memory.Kernels.Tests;

[Collection(AcceleratorCollection.Name)]
public sealed class FewTokenGemvKernelTests(CpuAcceleratorFixture fixture)
{
    private const float Eps = 1e-5f;

    [Theory]
    [InlineData(4, 64, WeightType.BFloat16, 11, true)] // tiles of four: 4, 4, 3
    [InlineData(8, 64, WeightType.Float16, 20, true)]
    [InlineData(4, 256, WeightType.BFloat16, 7, true)] // 256-weight slices: two load batches per lane on 4-lane warps
    [InlineData(8, 256, WeightType.Float16, 32, false)]
    [InlineData(8, 1024, WeightType.BFloat16, 13, true)] // one slice: the whole row in the group
    public void Matches_the_reference_at_every_tile_and_slice_length(int tile, int slice, int type, int tokens, bool normed)
    {
        using var kernels = new DecoderKernels(fixture.Accelerator, threadPerItem: false, gemvSliceLength: slice, fewTokenTile: tile);
        var product = new Product(fixture, type, tokens, n: 37, k: 264, normed, seed: tile + slice);
        TestData.AssertClose(product.Expected(), product.Run(kernels), 1e-4);
    }

    [Fact]
    public void Gives_the_same_bits_every_launch_and_leaves_its_arrival_counts_ready()
    {
        // Sliced (five slices of 64) and normed, 20 tokens in tiles of 8, 8 and 4, over many row groups: every launch's
        // last group per (row group, tile) must find its count at zero, and the slices must be added in the same order.
        var kernels = fixture.GroupedKernels;
        Assert.True(GemvKernel.Slices(264, CpuAcceleratorFixture.GemvSlice) > 1);
        var product = new Product(fixture, WeightType.BFloat16, tokens: 20, n: 301, k: 264, normed: true, seed: 3);
        var first = product.Run(kernels);
        TestData.AssertClose(product.Expected(), first, 1e-4);
        var other = new Product(fixture, WeightType.BFloat16, tokens: 20, n: 301, k: 264, normed: true, seed: 4);
        TestData.AssertClose(other.Expected(), other.Run(kernels), 1e-4);
        Assert.Equal(first, product.Run(kernels));
        Assert.Equal(first, product.Run(kernels));
    }

    [Fact]
    public void Switched_off_leaves_few_token_products_to_the_warp_per_row_kernel()
    {
        using var off = new DecoderKernels(fixture.Accelerator, threadPerItem: false, gemvSliceLength: CpuAcceleratorFixture.GemvSlice, fewTokenTile: 0);
        Assert.Equal(0, off.FewTokenTile);
        var product = new Product(fixture, WeightType.Float16, tokens: 11, n: 37, k: 136, normed: true, seed: 5);
        var unsliced = product.Run(off);
        var few = product.Run(fixture.GroupedKernels);
        TestData.AssertClose(product.Expected(), unsliced, 1e-4);
        TestData.AssertClose(product.Expected(), few, 1e-4);

        // The two add their terms in different orders, so some output differs in its last bits: the switch took effect.
        Assert.NotEqual(unsliced, few);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(-1)]
    public void Refuses_a_tile_it_has_no_kernel_for(int tile) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecoderKernels(fixture.Accelerator, threadPerItem: false, fewTokenTile: tile));

    /// <summary>A stacked product with bias, accumulation and (optionally) a norm gain, and its reference.</summary>
    private sealed class Product
    {
        private readonly CpuAcceleratorFixture _fixture;
        private readonly int _type, _tokens, _n, _k;
        private readonly int[] _segments;
        private readonly float[] _x, _initial;
        private readonly float[] _w, _bias, _gain;
        private readonly ushort[] _wWords, _bWords, _gWords;
        private readonly bool _normed;

        public Product(CpuAcceleratorFixture fixture, int type, int tokens, int n, int k, bool normed, int seed)
        {
            _fixture = fixture;
            (_type, _tokens, _n, _k, _normed) = (type, tokens, n, k, normed);
            _segments = [5, n - 4];
            var random = new Random(61 + seed + type + tokens + n + k);
            _x = TestData.Floats(random, tokens * k, 3f);
            (_wWords, _w) = TestData.Encode(TestData.Floats(random, n * k, 0.5f), type);
            (_bWords, _bias) = TestData.Encode(TestData.Floats(random, n), type);
            (_gWords, _gain) = TestData.Encode(TestData.Floats(random, k, 2f), type);
            _initial = TestData.Floats(random, tokens * n);
        }

        public float[] Run(DecoderKernels kernels)
        {
            using var xBuffer = _fixture.Upload(_x);
            using var wBuffer = _fixture.Upload(_wWords);
            using var bBuffer = _fixture.Upload(_bWords);
            using var gBuffer = _fixture.Upload(_gWords);
            using var yBuffer = _fixture.Upload(_initial);
            WeightView? norm = _normed ? new WeightView(gBuffer.View, _type) : null;
            kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, _type), new WeightView(bBuffer.View, _type), yBuffer.View, _tokens, _n, _k, accumulate: true, norm, Eps, _segments);
            return _fixture.Download(yBuffer, _tokens * _n);
        }

        public double[] Expected() => MatMulReference.Compute(_x, _w, _bias, _normed ? _gain : null, Eps, _initial, _tokens, _n, _k, _segments);
    }
}
