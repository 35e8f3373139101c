using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
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

    [Theory]
    [InlineData(WeightType.BFloat16, 32, 1024, 520)] // four tiles of eight, one slice
    [InlineData(WeightType.Float16, 11, 256, 520)] // a partial tile of eight; slices of 256, 256 and 8
    [InlineData(WeightType.BFloat16, 3, 2048, 1544)] // a partial tile of four, one slice: two load batches per lane
    public void Matches_the_reference_on_warps_and_groups_shaped_like_a_gpus(int type, int tokens, int slice, int k)
    {
        // 32-lane warps in groups of 128, as on CUDA: the shuffles, staging and stores take the paths they take there
        // (the fixture's 4-lane warps leave some of them out).
        if (fixture.Accelerator.AcceleratorType != AcceleratorType.CPU)
        {
            return;
        }

        using var context = Context.Create(b => b.CPU(new CPUDevice(32, 4, 1)));
        using var accelerator = context.CreateCPUAccelerator(0);
        using var kernels = new DecoderKernels(accelerator, threadPerItem: false, gemvSliceLength: slice);
        Assert.Equal(128, kernels.GemvGroupSize);
        var product = new Product(accelerator, type, tokens, n: 37, k, normed: true, seed: slice);
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
        private readonly Accelerator _accelerator;
        private readonly int _type, _tokens, _n, _k;
        private readonly int[] _segments;
        private readonly float[] _x, _initial;
        private readonly float[] _w, _bias, _gain;
        private readonly ushort[] _wWords, _bWords, _gWords;
        private readonly bool _normed;

        public Product(CpuAcceleratorFixture fixture, int type, int tokens, int n, int k, bool normed, int seed)
            : this(fixture.Accelerator, type, tokens, n, k, normed, seed)
        {
        }

        public Product(Accelerator accelerator, int type, int tokens, int n, int k, bool normed, int seed)
        {
            _accelerator = accelerator;
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
            using var xBuffer = Upload(_x);
            using var wBuffer = Upload(_wWords);
            using var bBuffer = Upload(_bWords);
            using var gBuffer = Upload(_gWords);
            using var yBuffer = Upload(_initial);
            WeightView? norm = _normed ? new WeightView(gBuffer.View, _type) : null;
            kernels.MatMul(xBuffer.View, new WeightView(wBuffer.View, _type), new WeightView(bBuffer.View, _type), yBuffer.View, _tokens, _n, _k, accumulate: true, norm, Eps, _segments);
            _accelerator.Synchronize();
            var result = new float[_tokens * _n];
            yBuffer.View.SubView(0, result.Length).CopyToCPU(result);
            return result;
        }

        public double[] Expected() => MatMulReference.Compute(_x, _w, _bias, _normed ? _gain : null, Eps, _initial, _tokens, _n, _k, _segments);

        private MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(T[] values)
            where T : unmanaged
        {
            var buffer = _accelerator.Allocate1D<T>(values.Length);
            buffer.View.CopyFromCPU(values);
            return buffer;
        }
    }
}
