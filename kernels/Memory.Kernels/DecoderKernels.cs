using ILGPU;
using Half = ILGPU.Half;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Memory.Kernels;

/// <summary>
/// The decoder's kernels compiled for one accelerator, with launchers that choose group and grid sizes. Launches are
/// queued on the accelerator's default stream; call <see cref="Synchronize"/> before reading results on the host.
/// </summary>
public sealed class DecoderKernels : IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense> _noWeights;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _noRows;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<ushort>, int, ArrayView<float>, int> _embedding;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, ArrayView<ushort>, int, ArrayView<float>, int, float> _rmsNorm;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, MatMulShape> _matMul;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, MatMulShape> _matMulPerThread;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatMulShape, SpecializedValue<int>> _gemv;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatMulShape, SpecializedValue<int>, SpecializedValue<int>> _fewTokenGemvQuad;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatMulShape, SpecializedValue<int>, SpecializedValue<int>> _fewTokenGemvOctet;
    private MemoryBuffer1D<float, Stride1D.Dense> _gemvPartials;
    private MemoryBuffer1D<int, Stride1D.Dense> _gemvArrivals;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape> _tiledMatMul;
    private readonly MmaKernels? _mma;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float> _rowInverseRms;
    private MemoryBuffer1D<float, Stride1D.Dense> _inverseRms;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int> _rotaryKvWrite;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, AttentionShape> _attention;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> _attentionMerge;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, AttentionShape, SpecializedValue<int>>? _sharedKvAttention;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape> _prefillAttention;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape> _prefillAttention64;
    private MemoryBuffer1D<float, Stride1D.Dense> _splitScratch;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int, float, int> _attentionPerThread;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _swiGlu;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int> _logSoftmax;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int> _sample;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, int> _argMaxPartials;
    private MemoryBuffer1D<float, Stride1D.Dense> _partialValues;
    private MemoryBuffer1D<int, Stride1D.Dense> _partialIndices;

    /// <summary>Compiles every kernel for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where the kernels run.</param>
    /// <param name="threadPerItem">
    /// Use the variants without communication between threads (<see cref="MatMulKernel.RunPerThread"/>,
    /// <see cref="PagedAttentionKernel.RunPerThread"/>); by default on the CPU accelerator only.
    /// </param>
    /// <param name="attentionSplitKeys">
    /// Keys per group of the split attention (<see cref="PagedAttentionKernel"/>); contexts longer than twice this are
    /// split. By default one tile of the attention group: each group then walks a single tile, so a step's latency no
    /// longer grows with the context while there are SMs to spread the splits over. Tests make it small to check the
    /// split path on short contexts.
    /// </param>
    /// <param name="gemvSliceLength">
    /// Longest slice of K one group of the single-token product stages and reads (a multiple of
    /// <see cref="GemvKernel.Oct"/>); by default <see cref="DefaultGemvSliceLength"/>. A tuning knob for benchmarks; tests
    /// make it small to check the sliced path on short rows. The few-token product's slices are at most this long too.
    /// </param>
    /// <param name="fewTokenTile">
    /// Widest token tile of the few-token product (<see cref="FewTokenGemvKernel"/>), 4 or 8, for products of 2 to
    /// <see cref="FewTokenGemvKernel.MaxTokens"/> tokens; 0 sends them to <see cref="MatMulKernel"/> as before (an A/B
    /// switch for benchmarks). By default <see cref="DefaultFewTokenTile"/>.
    /// </param>
    /// <param name="tensorCores">
    /// Run products of 16-bit weights over at least <paramref name="tensorCoreMinTokens"/> tokens on the tensor cores
    /// (<see cref="MmaMatMulKernel"/>) instead of the FP32 tiled GEMM; on by default (2.1-12× the tiled GEMM on an H200, docs/benchmarks.md). Only CUDA accelerators of compute
    /// capability 8.0 or newer have them: elsewhere (the CPU accelerator included) the switch changes nothing.
    /// </param>
    /// <param name="tensorCoreMinTokens">Fewest tokens a product runs on the tensor cores with; by default <see cref="DefaultTensorCoreMinTokens"/>.</param>
    /// <param name="tensorCoreAttention">
    /// With <paramref name="tensorCores"/>, prefill chunks of at least 64 tokens and head dimension 64 take
    /// <see cref="MmaPrefillAttentionKernel"/> (on by default); false keeps <see cref="PrefillAttention64Kernel"/>, an A/B switch.
    /// </param>
    /// <param name="sharedKvAttention">
    /// Run the grouped decode attention as <see cref="DecodeAttentionKernel"/>, one group per kv head serving all its
    /// query heads, where it takes the shape (<see cref="UsesSharedKvAttention"/>); on by default. False keeps
    /// <see cref="PagedAttentionKernel.Run"/>'s group per query head (an A/B switch for benchmarks).
    /// </param>
    public DecoderKernels(Accelerator accelerator, bool? threadPerItem = null, int? attentionSplitKeys = null, int? gemvSliceLength = null, int? fewTokenTile = null, bool? tensorCores = null, int? tensorCoreMinTokens = null, bool? tensorCoreAttention = null, bool? sharedKvAttention = null)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        ThreadPerItem = threadPerItem ?? accelerator.AcceleratorType == AcceleratorType.CPU;
        GroupSize = ChooseGroupSize(accelerator, KernelLimits.MaxGroupSize);
        AttentionGroupSize = ChooseGroupSize(accelerator, 128);
        AttentionSplitKeys = attentionSplitKeys ?? AttentionGroupSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(AttentionSplitKeys, 1, nameof(attentionSplitKeys));
        GemvSliceLength = gemvSliceLength ?? DefaultGemvSliceLength;
        if (GemvSliceLength < GemvKernel.Oct || GemvSliceLength % GemvKernel.Oct != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gemvSliceLength), GemvSliceLength, $"a positive multiple of {GemvKernel.Oct}");
        }

        FewTokenTile = fewTokenTile ?? DefaultFewTokenTile;
        if (FewTokenTile is not (0 or TokenQuadSums.Tokens or FewTokenGemvKernel.MaxTile))
        {
            throw new ArgumentOutOfRangeException(nameof(fewTokenTile), FewTokenTile, $"0 (off), {TokenQuadSums.Tokens} or {FewTokenGemvKernel.MaxTile}");
        }
        TensorCoreMinTokens = tensorCoreMinTokens ?? DefaultTensorCoreMinTokens;
        ArgumentOutOfRangeException.ThrowIfLessThan(TensorCoreMinTokens, 1, nameof(tensorCoreMinTokens));
        // Inline PTX (mma.sync bf16/f16, ldmatrix, cvt to bf16x2): CUDA devices of sm_80 or newer only, never the CPU.
        TensorCores = (tensorCores ?? true) && !ThreadPerItem && SupportsTensorCores(accelerator);
        TensorCoreAttention = TensorCores && (tensorCoreAttention ?? true);

        _noWeights = accelerator.Allocate1D<ushort>(1);
        _noRows = accelerator.Allocate1D<int>(1);
        _embedding = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<ushort>, int, ArrayView<float>, int>(EmbeddingKernel.Run);
        _rmsNorm = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, ArrayView<ushort>, int, ArrayView<float>, int, float>(RmsNormKernel.Run);
        _matMul = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, MatMulShape>(MatMulKernel.Run);
        _gemv = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatMulShape, SpecializedValue<int>>(GemvKernel.Run);
        _gemvPartials = accelerator.Allocate1D<float>(1);
        _gemvArrivals = accelerator.Allocate1D<int>(1);
        _gemvArrivals.MemSetToZero();
        GemvGroupSize = ChooseGroupSize(accelerator, 128);
        // One load per tile, each with its launch bounds (a kernel's bounds hold for all its specialisations).
        _fewTokenGemvQuad = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatMulShape, SpecializedValue<int>, SpecializedValue<int>>(
            FewTokenGemvKernel.Run, new KernelSpecialization(GemvGroupSize, FewTokenGemvKernel.GroupsPerMultiprocessor(TokenQuadSums.Tokens)));
        _fewTokenGemvOctet = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatMulShape, SpecializedValue<int>, SpecializedValue<int>>(
            FewTokenGemvKernel.Run, new KernelSpecialization(GemvGroupSize, FewTokenGemvKernel.GroupsPerMultiprocessor(FewTokenGemvKernel.MaxTile)));
        _tiledMatMul = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, MatMulShape>(TiledMatMulKernel.Run);
        _mma = TensorCores ? new MmaKernels((CudaAccelerator)accelerator) : null;

        _rowInverseRms = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float>(RowInverseRmsKernel.Run);
        _inverseRms = accelerator.Allocate1D<float>(1);
        PrefillGroupSize = ChooseGroupSize(accelerator, 128);
        _matMulPerThread = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>, MatMulShape>(MatMulKernel.RunPerThread);
        _rotaryKvWrite = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int>(RotaryKvWriteKernel.Run);
        _attention = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, AttentionShape>(PagedAttentionKernel.Run);
        _attentionMerge = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(PagedAttentionKernel.Merge);
        SharedKvAttention = (sharedKvAttention ?? true) && !ThreadPerItem;
        _sharedKvAttention = SharedKvAttention
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, AttentionShape, SpecializedValue<int>>(DecodeAttentionKernel.Run)
            : null;
        _splitScratch = accelerator.Allocate1D<float>(1);
        _prefillAttention = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape>(PrefillAttentionKernel.Run);
        _prefillAttention64 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, AttentionShape>(PrefillAttention64Kernel.Run);
        _attentionPerThread = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<Half>, ArrayView<Half>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int, float, int>(PagedAttentionKernel.RunPerThread);
        _swiGlu = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(SwiGluKernel.Run);
        _logSoftmax = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(LogSoftmaxKernel.Run);
        _sample = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int>(SampleKernel.Run);
        _argMaxPartials = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(ArgMaxKernel.Partials);
        _partialValues = accelerator.Allocate1D<float>(1);
        _partialIndices = accelerator.Allocate1D<int>(1);
    }

    /// <summary>Whether <see cref="MatMul"/> and <see cref="Attention"/> run their variants without shuffles or barriers.</summary>
    public bool ThreadPerItem { get; }

    /// <summary>Whether products of many tokens with 16-bit weights run on the tensor cores (<see cref="MmaMatMulKernel"/>).</summary>
    public bool TensorCores { get; }

    /// <summary>Whether prefill chunks of head dimension 64 run their attention on the tensor cores (<see cref="MmaPrefillAttentionKernel"/>).</summary>
    public bool TensorCoreAttention { get; }

    /// <summary>Default of <see cref="TensorCoreMinTokens"/>: where the tiled GEMM takes over from the warp kernel.</summary>
    public const int DefaultTensorCoreMinTokens = TiledMinTokens;

    /// <summary>Fewest tokens a product runs on the tensor cores with (when <see cref="TensorCores"/>).</summary>
    public int TensorCoreMinTokens { get; }

    /// <summary>Group size of the row-wise kernels (norm, matmul, softmax, sampling).</summary>
    public int GroupSize { get; }

    /// <summary>Group size of <see cref="PrefillAttentionKernel"/> (a power of two, 8 threads per query on a GPU).</summary>
    public int PrefillGroupSize { get; }

    /// <summary>Default of <see cref="GemvSliceLength"/>: four 16-byte loads per lane and row on a 32-lane warp.</summary>
    public const int DefaultGemvSliceLength = 1024;

    /// <summary>Longest K slice of one group of the single-token product.</summary>
    public int GemvSliceLength { get; }

    /// <summary>
    /// Default of <see cref="FewTokenTile"/>: eight tokens per weight load (a 32-token step reads each weight from DRAM
    /// once and from L2 three times more); steps of up to four tokens take tiles of four whatever the setting.
    /// </summary>
    public const int DefaultFewTokenTile = 8;

    /// <summary>Widest token tile of the few-token product; 0 when products of 2 to 32 tokens go to <see cref="MatMulKernel"/>.</summary>
    public int FewTokenTile { get; }

    /// <summary>Group size of the single-token product (<see cref="GemvKernel"/>).</summary>
    public int GemvGroupSize { get; }

    /// <summary>Keys per group when the grouped attention splits a long context.</summary>
    public int AttentionSplitKeys { get; }

    /// <summary>Group size of the attention kernel; head dimensions up to four times this are supported.</summary>
    public int AttentionGroupSize { get; }

    /// <summary>Largest head dimension the attention kernel accepts on this accelerator.</summary>
    public int MaxHeadDim => Math.Min(KernelLimits.MaxHeadDim, KernelLimits.AttentionDimsPerThread * AttentionGroupSize);

    /// <summary>x[t, :] = table[ids[t], :].</summary>
    public void Embedding(ArrayView<int> ids, WeightView table, ArrayView<float> x, int tokens, int dim) =>
        _embedding(tokens * dim, ids, table.Data, table.Type, x, dim);

    /// <summary>RMSNorm of <paramref name="rows"/> rows; with a row map, output row r normalises input row rowMap[r].</summary>
    public void RmsNorm(ArrayView<float> x, ArrayView<int>? rowMap, WeightView weight, ArrayView<float> y, int rows, int dim, float eps) =>
        _rmsNorm(new KernelConfig(rows, GroupSize), x, rowMap ?? _noRows.View.AsContiguous(), rowMap is null ? 0 : 1, weight.Data, weight.Type, y, dim, eps);

    /// <summary>
    /// y = (accumulate ? y : 0) + x̂ · Wᵀ + bias for x [tokens, k], W [n, k], where x̂ is x or, given a norm gain,
    /// RMSNorm(x) · gain. With 16-bit weights and k a multiple of four, x, the weight and the gain must start on an
    /// 8-byte boundary, and on a 16-byte one when k is a multiple of eight (whole buffers do; CUDA faults on a misaligned
    /// load). Which kernel runs: one token, <see cref="GemvKernel"/>; 2 to <see cref="FewTokenGemvKernel.MaxTokens"/>,
    /// <see cref="FewTokenGemvKernel"/> (unless <see cref="FewTokenTile"/> is 0); from <see cref="TensorCoreMinTokens"/> on CUDA
    /// sm_80+, the tensor-core GEMM (<see cref="MmaMatMulKernel"/>, x̂ rounded to the weight's type; x and the weight on
    /// 16-byte boundaries); from <see cref="TiledMinTokens"/>, the tiled GEMM; otherwise, and for fp32 weights or rows that are not whole loads, <see cref="MatMulKernel"/>.
    /// </summary>
    /// <param name="norm">RMSNorm gain [k] to apply to x first, or null.</param>
    /// <param name="normEps">The norm's epsilon.</param>
    /// <param name="segments">
    /// Where the weight's stacked projections start (weight rows), after the first: the rows [0, s1) form output
    /// [tokens, s1], [s1, s2) the [tokens, s2 − s1] that follows it in y, and so on (see <see cref="MatMulKernel"/>).
    /// </param>
    public void MatMul(ArrayView<float> x, WeightView weight, WeightView bias, ArrayView<float> y, int tokens, int n, int k, bool accumulate, WeightView? norm = null, float normEps = 0f, params ReadOnlySpan<int> segments)
    {
        if (segments.Length > 2 || (segments.Length > 0 && (segments[0] <= 0 || segments[^1] >= n || (segments.Length == 2 && segments[1] <= segments[0]))))
        {
            throw new ArgumentException($"at most two segment starts, increasing, inside (0, {n}); got [{string.Join(", ", segments.ToArray())}]", nameof(segments));
        }

        var gain = norm ?? new WeightView(_noWeights.View.AsContiguous(), WeightType.None);
        // 8-byte loads need 16-bit weights (and gain) and rows of a multiple of four.
        bool packed = weight.Type != WeightType.Float32 && k % 4 == 0 && gain.Type != WeightType.Float32;
        var shape = new MatMulShape(
            tokens,
            n,
            k,
            weight.Type,
            bias.IsPresent ? bias.Type : WeightType.None,
            gain.Type,
            normEps,
            accumulate ? 1 : 0,
            packed ? 1 : 0,
            segments.Length > 0 ? segments[0] : n,
            segments.Length > 1 ? segments[1] : n);
        long items = (long)n * ((tokens + MatMulKernel.TokenTile - 1) / MatMulKernel.TokenTile);
        ArrayView<ushort> biasData = bias.IsPresent ? bias.Data : _noWeights.View.AsContiguous();
        // The tensor-core kernel's 16-byte loads of x and W and 8-byte loads of the gain need aligned views.
        bool aligned = StartsAligned(x, 16) && StartsAligned(weight.Data, 16) && StartsAligned(gain.Data, 8);
        switch (RouteOf(tokens, k, weight.Type, gain.Type, aligned))
        {
            case MatMulRoute.PerThread:
                _matMulPerThread((int)items, x, weight.Data, biasData, gain.Data, y, shape);
                return;
            case MatMulRoute.Gemv:
                LaunchGemv(x, weight.Data, biasData, gain.Data, y, shape);
                return;
            case MatMulRoute.FewTokenGemv:
                LaunchFewTokenGemv(x, weight.Data, biasData, gain.Data, y, shape);
                return;
            case MatMulRoute.TensorCores:
                LaunchMma(x, weight.Data, biasData, gain.Data, y, shape);
                return;
            case MatMulRoute.Tiled:
                LaunchTiled(x, weight.Data, biasData, gain.Data, y, shape);
                return;
            default:
                int warpsPerGroup = GroupSize / _accelerator.WarpSize;
                int groups = (int)Math.Max(1, Math.Min((items + warpsPerGroup - 1) / warpsPerGroup, 65535));
                _matMul(new KernelConfig(groups, GroupSize), x, weight.Data, biasData, gain.Data, y, shape);
                return;
        }
    }

    /// <summary>The kernel <see cref="MatMul"/> runs a product of this shape with.</summary>
    /// <param name="tokens">Rows of x.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="weightType">Encoding of the weight (<see cref="WeightType"/>).</param>
    /// <param name="normType">Encoding of the norm gain, <see cref="WeightType.None"/> for none.</param>
    /// <param name="aligned">Whether x and the weight start on 16-byte boundaries and the gain on an 8-byte one.</param>
    public MatMulRoute RouteOf(int tokens, int k, int weightType, int normType, bool aligned = true)
    {
        bool packed = weightType != WeightType.Float32 && k % 4 == 0 && normType != WeightType.Float32;
        if (ThreadPerItem)
        {
            return MatMulRoute.PerThread;
        }

        if (UsesGemv(tokens, packed, k))
        {
            return MatMulRoute.Gemv;
        }

        if (UsesFewTokenGemv(tokens, packed, k))
        {
            return MatMulRoute.FewTokenGemv;
        }

        if (TensorCores && tokens >= TensorCoreMinTokens && aligned && k % MmaMatMulKernel.KMultiple == 0
            && weightType is WeightType.BFloat16 or WeightType.Float16
            && normType is WeightType.None or WeightType.BFloat16 or WeightType.Float16)
        {
            return MatMulRoute.TensorCores;
        }

        return tokens >= TiledMinTokens && GroupSize == TiledMatMulKernel.GroupSize ? MatMulRoute.Tiled : MatMulRoute.Warp;
    }

    /// <summary>
    /// y = (accumulate ? y : 0) + (silu(gate) · up) · Wᵀ + bias, for <paramref name="gateUp"/> holding [tokens, k] gate
    /// then [tokens, k] up (the stacked gate/up product's segments). Where the single-token or the few-token product
    /// takes it, the activation is applied while the product stages its input, one launch; otherwise the gate part is
    /// overwritten with the activation first.
    /// </summary>
    public void GatedMatMul(ArrayView<float> gateUp, WeightView weight, WeightView bias, ArrayView<float> y, int tokens, int n, int k, bool accumulate)
    {
        bool packed = weight.Type != WeightType.Float32 && k % 4 == 0;
        bool single = UsesGemv(tokens, packed, k);
        if (!single && !UsesFewTokenGemv(tokens, packed, k))
        {
            var gate = gateUp.SubView(0, (long)tokens * k);
            SwiGlu(gate, gateUp.SubView((long)tokens * k, (long)tokens * k), tokens * k);
            MatMul(gate, weight, bias, y, tokens, n, k, accumulate);
            return;
        }

        var none = _noWeights.View.AsContiguous();
        var shape = new MatMulShape(tokens, n, k, weight.Type, bias.IsPresent ? bias.Type : WeightType.None, WeightType.None, 0f, accumulate ? 1 : 0, 1, n, n, GatedInput: 1);
        if (single)
        {
            LaunchGemv(gateUp, weight.Data, bias.IsPresent ? bias.Data : none, none, y, shape);
        }
        else
        {
            LaunchFewTokenGemv(gateUp, weight.Data, bias.IsPresent ? bias.Data : none, none, y, shape);
        }
    }

    /// <summary>
    /// Rotary embedding of the queries (in place) and keys, and the keys and values stored in one layer's paged cache
    /// (see <see cref="RotaryKvWriteKernel"/>); the table must cover every position.
    /// </summary>
    public void RotaryKvWrite(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<Half> kCache, ArrayView<Half> vCache, ArrayView<int> positions, ArrayView<int> tableOffsets, ArrayView<int> blockTable, RopeTable table, int tokens, int heads, int kvHeads, int headDim, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Pairs != headDim / 2)
        {
            throw new ArgumentException($"the rope table has {table.Pairs} pairs per head, head dimension {headDim} needs {headDim / 2}", nameof(table));
        }

        int perToken = (heads * (headDim / 2)) + (kvHeads * (headDim / 2)) + (kvHeads * headDim);
        _rotaryKvWrite(tokens * perToken, q, k, v, kCache.Cast<ushort>(), vCache.Cast<ushort>(), positions, tableOffsets, blockTable, table.View, heads, kvHeads, headDim, blockSize);
    }

    /// <summary>
    /// Whether the grouped attention may run as <see cref="DecodeAttentionKernel"/> (the constructor's
    /// <c>sharedKvAttention</c>, never with <see cref="ThreadPerItem"/>); <see cref="UsesSharedKvAttention"/> says for which shapes.
    /// </summary>
    public bool SharedKvAttention { get; }

    /// <summary>
    /// Whether <see cref="Attention"/> runs this shape as <see cref="DecodeAttentionKernel"/>: with
    /// <see cref="SharedKvAttention"/>, at most <see cref="DecodeAttentionKernel.MaxQueryHeads"/> query heads per kv
    /// head (and no more than the group's threads), a head dim that is a multiple of 8 up to <see cref="DecodeAttentionKernel.MaxHeadDim"/> (and at most four
    /// times <see cref="AttentionGroupSize"/>), and the group's shared memory within 48 KB; otherwise
    /// <see cref="PagedAttentionKernel.Run"/> runs it.
    /// </summary>
    public bool UsesSharedKvAttention(int heads, int kvHeads, int headDim) =>
        SharedKvAttention && kvHeads > 0 && heads % kvHeads == 0 && DecodeAttentionKernel.Supports(heads / kvHeads, headDim, AttentionGroupSize);

    /// <summary>
    /// Causal paged attention for every (token, head): with <see cref="ThreadPerItem"/>,
    /// <see cref="PagedAttentionKernel.RunPerThread"/>; otherwise <see cref="DecodeAttentionKernel"/> where
    /// <see cref="UsesSharedKvAttention"/> says so, else <see cref="PagedAttentionKernel.Run"/>, split alike.
    /// </summary>
    /// <param name="maxContext">
    /// The longest context (position + 1) among the tokens, or 0 if unknown: above twice
    /// <see cref="AttentionSplitKeys"/> the grouped kernel splits each head's keys over several groups.
    /// </param>
    /// <param name="window">Sliding attention window (each token sees itself and the window − 1 keys before it); 0: none.</param>
    public void Attention(ArrayView<float> q, ArrayView<Half> kCache, ArrayView<Half> vCache, ArrayView<int> positions, ArrayView<int> tableOffsets, ArrayView<int> blockTable, ArrayView<float> output, int tokens, int heads, int kvHeads, int headDim, int blockSize, int maxContext = 0, int window = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        if (headDim > MaxHeadDim || heads % kvHeads != 0)
        {
            throw new ArgumentException($"attention needs headDim ≤ {MaxHeadDim} and heads divisible by kvHeads; got headDim {headDim}, heads {heads}, kvHeads {kvHeads}");
        }

        float scale = 1f / MathF.Sqrt(headDim);
        if (ThreadPerItem)
        {
            _attentionPerThread(tokens * heads, q, kCache, vCache, positions, tableOffsets, blockTable, output, heads, kvHeads, headDim, blockSize, scale, window);
            return;
        }

        int keys = window > 0 && maxContext > window ? window : maxContext;
        int splits = keys > 2 * AttentionSplitKeys ? (keys + AttentionSplitKeys - 1) / AttentionSplitKeys : 1;
        long rows = (long)tokens * heads * splits;
        var shape = new AttentionShape(heads, kvHeads, headDim, blockSize, scale, splits == 1 ? int.MaxValue : AttentionSplitKeys, splits, window);
        var scratch = SplitScratch(rows, headDim, splits);
        if (UsesSharedKvAttention(heads, kvHeads, headDim))
        {
            // The same outputs and split rows from a group per (token, kv head, split), compiled per query-head count.
            int queryHeads = heads / kvHeads;
            var config = new KernelConfig(new Index1D(tokens * kvHeads * splits), new Index1D(AttentionGroupSize), SharedMemoryConfig.RequestDynamic<Float4>(DecodeAttentionKernel.SharedChunks(queryHeads, headDim, AttentionGroupSize)));
            _sharedKvAttention!(config, q, kCache, vCache, positions, tableOffsets, blockTable, output, scratch, shape, SpecializedValue.New(queryHeads));
        }
        else
        {
            _attention(new KernelConfig((int)rows, AttentionGroupSize), q, kCache, vCache, positions, tableOffsets, blockTable, output, scratch, shape);
        }

        // A separate merge launch: merging in the last split to finish (an atomic count per head) was measured slower on
        // the H200 (16.3 µs against 10.8 + 4.3 for attention and merge at context 512; docs/benchmarks.md).
        MergeSplits(output, tokens * heads * headDim, headDim, splits, rows);
    }

    /// <summary>
    /// Causal paged attention of a chunk of <b>one sequence's consecutive tokens</b> (a prefill), queries tiled so each
    /// key and value tile is read once per tile of queries (see <see cref="PrefillAttentionKernel"/>). Falls back to
    /// <see cref="Attention"/> where the tiled kernel does not apply (thread-per-item variants, head dims above
    /// <see cref="PrefillAttentionKernel.MaxHeadDim"/>, a group too narrow for its query tile).
    /// </summary>
    public void PrefillAttention(ArrayView<float> q, ArrayView<Half> kCache, ArrayView<Half> vCache, ArrayView<int> positions, ArrayView<int> tableOffsets, ArrayView<int> blockTable, ArrayView<float> output, int tokens, int heads, int kvHeads, int headDim, int blockSize, int maxContext = 0, int window = 0)
    {
        int perQuery = PrefillGroupSize / PrefillAttentionKernel.QueryTile;
        if (ThreadPerItem || headDim > PrefillAttentionKernel.MaxHeadDim || heads % kvHeads != 0 || perQuery < 1
            || perQuery > _accelerator.WarpSize || PrefillAttentionKernel.KeyTile(headDim) % perQuery != 0)
        {
            Attention(q, kCache, vCache, positions, tableOffsets, blockTable, output, tokens, heads, kvHeads, headDim, blockSize, maxContext, window);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(window);
        if (_mma is not null && TensorCoreAttention && headDim == MmaPrefillAttentionKernel.HeadDim && tokens >= MmaPrefillAttentionKernel.QueryTile)
        {
            LaunchMmaAttention(q, kCache, vCache, positions, tableOffsets, blockTable, output, tokens, heads, kvHeads, blockSize, maxContext, window);
            return;
        }

        // Head dimension 64 on a 32-lane warp: the register-tiled variant (same grid, splits and outputs).
        bool registers = headDim == PrefillAttention64Kernel.HeadDim && _accelerator.WarpSize == 32
            && _accelerator.MaxNumThreadsPerGroup >= PrefillAttention64Kernel.GroupSize;
        int keyTile = registers ? PrefillAttention64Kernel.KeyTile : PrefillAttentionKernel.KeyTile(headDim);
        int tiles = (tokens + PrefillAttentionKernel.QueryTile - 1) / PrefillAttentionKernel.QueryTile;
        int keys = window > 0 && maxContext > window ? window + tokens : maxContext;
        // Split the keys when the (tile, head) groups alone would leave the multiprocessors idle: up to about 16 groups
        // per SM (at least 64 groups, so small accelerators and the CPU accelerator's tests take this path too), no
        // split shorter than a few decode splits' worth of keys, each a whole number of key tiles.
        int minimum = (((4 * AttentionSplitKeys) + keyTile - 1) / keyTile) * keyTile;
        var (splits, splitKeys) = PrefillSplits(keys, tiles * heads, Math.Max(64, 16 * _accelerator.NumMultiprocessors), minimum, keyTile);
        var shape = new AttentionShape(heads, kvHeads, headDim, blockSize, 1f / MathF.Sqrt(headDim), splitKeys, splits, window);
        long groups = (long)tiles * heads * splits;
        var config = registers
            ? new KernelConfig(new Index1D((int)groups), new Index1D(PrefillAttention64Kernel.GroupSize), SharedMemoryConfig.RequestDynamic<float>(PrefillAttention64Kernel.SharedFloats))
            : new KernelConfig(new Index1D((int)groups), new Index1D(PrefillGroupSize), SharedMemoryConfig.RequestDynamic<float>(PrefillAttentionKernel.SharedFloats(headDim)));
        var kernel = registers ? _prefillAttention64 : _prefillAttention;
        long rows = (long)tokens * heads * splits;
        kernel(config, q, kCache, vCache, positions, tableOffsets, blockTable, output, SplitScratch(rows, headDim, splits), tokens, shape);
        MergeSplits(output, tokens * heads * headDim, headDim, splits, rows);
    }

    /// <summary>
    /// <see cref="MmaPrefillAttentionKernel"/>: 64-query tiles, split over key ranges of whole 64-key tiles when the
    /// (tile, head) groups would leave fewer than about eight groups per SM (each split at least eight key tiles).
    /// </summary>
    private void LaunchMmaAttention(ArrayView<float> q, ArrayView<Half> kCache, ArrayView<Half> vCache, ArrayView<int> positions, ArrayView<int> tableOffsets, ArrayView<int> blockTable, ArrayView<float> output, int tokens, int heads, int kvHeads, int blockSize, int maxContext, int window)
    {
        const int headDim = MmaPrefillAttentionKernel.HeadDim;
        const int keyTile = MmaPrefillAttentionKernel.KeyTile;
        int tiles = (tokens + MmaPrefillAttentionKernel.QueryTile - 1) / MmaPrefillAttentionKernel.QueryTile;
        int keys = window > 0 && maxContext > window ? window + tokens : maxContext;
        var (splits, splitKeys) = PrefillSplits(keys, tiles * heads, 8 * _accelerator.NumMultiprocessors, 8 * keyTile, keyTile);
        var shape = new AttentionShape(heads, kvHeads, headDim, blockSize, 1f / MathF.Sqrt(headDim), splitKeys, splits, window);
        var config = new KernelConfig((int)((long)tiles * heads * splits), MmaPrefillAttentionKernel.GroupSize);
        long rows = (long)tokens * heads * splits;
        _mma!.PrefillAttention(config, q, kCache, vCache, positions, tableOffsets, blockTable, output, SplitScratch(rows, headDim, splits), tokens, shape);
        MergeSplits(output, tokens * heads * headDim, headDim, splits, rows);
    }

    /// <summary>
    /// How many key ranges a prefill attention splits each (query tile, head) into: enough for about
    /// <paramref name="wantedGroups"/> groups, none shorter than <paramref name="minimumKeys"/>, at most 64; and the keys
    /// of each, a whole number of key tiles (int.MaxValue with one split).
    /// </summary>
    private static (int Splits, int SplitKeys) PrefillSplits(int keys, int unsplitGroups, int wantedGroups, int minimumKeys, int keyTile)
    {
        int splits = Math.Clamp(Math.Min(wantedGroups / Math.Max(1, unsplitGroups), keys / minimumKeys), 1, 64);
        int splitKeys = splits == 1 ? int.MaxValue : (((keys + splits - 1) / splits) + keyTile - 1) / keyTile * keyTile;
        return (splits, splitKeys);
    }

    /// <summary>
    /// The scratch an attention launch of <paramref name="rows"/> (token, head, split) rows writes its partial rows and
    /// (max, sum) pairs to, in <see cref="PagedAttentionKernel.Merge"/>'s layout; grown when there are several splits
    /// (with one, the kernels write the output and never touch it).
    /// </summary>
    private ArrayView<float> SplitScratch(long rows, int headDim, int splits)
    {
        if (splits > 1)
        {
            EnsureSplitScratch(rows * (headDim + 2));
        }

        return _splitScratch.View;
    }

    /// <summary>With several splits, <see cref="PagedAttentionKernel.Merge"/> of the scratch's rows into <paramref name="output"/>.</summary>
    private void MergeSplits(ArrayView<float> output, int outputs, int headDim, int splits, long rows)
    {
        if (splits > 1)
        {
            _attentionMerge(outputs, _splitScratch.View, output, headDim, splits, (int)(rows * headDim));
        }
    }

    private void EnsureSplitScratch(long floats)
    {
        if (floats > _splitScratch.Length)
        {
            // Grown, never shrunk: the longest batch so far sets the scratch size.
            _splitScratch.Dispose();
            _splitScratch = _accelerator.Allocate1D<float>(floats);
        }
    }

    /// <summary>gate = silu(gate) · up over <paramref name="count"/> elements.</summary>
    public void SwiGlu(ArrayView<float> gate, ArrayView<float> up, int count) => _swiGlu(count, gate, up);

    /// <summary>Row-wise log-softmax of [rows, width].</summary>
    public void LogSoftmax(ArrayView<float> x, ArrayView<float> y, int rows, int width) =>
        _logSoftmax(new KernelConfig(rows, GroupSize), x, y, width);

    /// <summary>Samples one token per logits row (see <see cref="SampleKernel"/> for the exact semantics).</summary>
    public void Sample(ArrayView<float> logits, ArrayView<float> temperatures, ArrayView<int> topKs, ArrayView<float> topPs, ArrayView<float> uniforms, ArrayView<int> tokens, int rows, int vocab)
    {
        long partials = (long)rows * ArgMaxKernel.Chunks(vocab);
        if (partials > _partialValues.Length)
        {
            // Grown, never shrunk: the most rows so far set the size.
            _partialValues.Dispose();
            _partialIndices.Dispose();
            _partialValues = _accelerator.Allocate1D<float>(partials);
            _partialIndices = _accelerator.Allocate1D<int>(partials);
        }

        _argMaxPartials(new KernelConfig((int)partials, GroupSize), logits, _partialValues.View, _partialIndices.View, vocab);
        _sample(new KernelConfig(rows, GroupSize), logits, temperatures, topKs, topPs, uniforms, tokens, _partialValues.View, _partialIndices.View, vocab);
    }

    /// <summary>Waits for every queued launch.</summary>
    public void Synchronize() => _accelerator.Synchronize();

    /// <inheritdoc />
    public void Dispose()
    {
        _noWeights.Dispose();
        _noRows.Dispose();
        _splitScratch.Dispose();
        _partialValues.Dispose();
        _partialIndices.Dispose();
        _inverseRms.Dispose();
        _mma?.Dispose();
        _gemvPartials.Dispose();
        _gemvArrivals.Dispose();
    }

    /// <summary>
    /// Tokens from which a product runs as the tiled GEMM (<see cref="TiledMatMulKernel"/>): below two full token
    /// tiles it has too few groups to fill a GPU (a 32-sequence decode step ran 3x slower on the H200 that way).
    /// </summary>
    public const int TiledMinTokens = 128;

    private void LaunchTiled(ArrayView<float> x, ArrayView<ushort> weight, ArrayView<ushort> bias, ArrayView<ushort> gain, ArrayView<float> y, MatMulShape shape)
    {
        ComputeInverseRms(x, shape);
        long groups = (long)((shape.Tokens + TiledMatMulKernel.TileTokens - 1) / TiledMatMulKernel.TileTokens) * ((shape.N + TiledMatMulKernel.TileRows - 1) / TiledMatMulKernel.TileRows);
        _tiledMatMul(new KernelConfig((int)groups, TiledMatMulKernel.GroupSize), x, weight, bias, gain, _inverseRms.View, y, shape);
    }

    private void LaunchMma(ArrayView<float> x, ArrayView<ushort> weight, ArrayView<ushort> bias, ArrayView<ushort> gain, ArrayView<float> y, MatMulShape shape)
    {
        ComputeInverseRms(x, shape);
        long groups = (long)((shape.Tokens + MmaMatMulKernel.TileTokens - 1) / MmaMatMulKernel.TileTokens) * ((shape.N + MmaMatMulKernel.TileRows - 1) / MmaMatMulKernel.TileRows);
        var kernel = shape.WeightType == WeightType.BFloat16 ? _mma!.BFloat16 : _mma!.Float16;
        kernel(new KernelConfig((int)groups, MmaMatMulKernel.GroupSize), x, weight, bias, gain, _inverseRms.View, y, shape);
    }

    /// <summary>The per-token inverse RMS of x into <c>_inverseRms</c> when the product is normed (the tiled kernels read it).</summary>
    private void ComputeInverseRms(ArrayView<float> x, MatMulShape shape)
    {
        if (shape.NormType == WeightType.None)
        {
            return;
        }

        if (shape.Tokens > _inverseRms.Length)
        {
            // Grown, never shrunk: the longest chunk so far sets the size.
            _inverseRms.Dispose();
            _inverseRms = _accelerator.Allocate1D<float>(shape.Tokens);
        }

        _rowInverseRms(new KernelConfig(shape.Tokens, GroupSize), x, _inverseRms.View, shape.K, shape.NormEps);
    }

    /// <summary>Whether the view starts on a multiple of <paramref name="bytes"/> within its buffer (buffers start 256-byte aligned).</summary>
    private static bool StartsAligned<TView>(TView view, int bytes)
        where TView : IContiguousArrayView => view.IndexInBytes % bytes == 0;

    private static bool SupportsTensorCores(Accelerator accelerator) =>
        accelerator is CudaAccelerator cuda && cuda.Architecture >= CudaArchitecture.SM_80
        && accelerator.WarpSize == 32 && accelerator.MaxNumThreadsPerGroup >= MmaMatMulKernel.GroupSize;

    private bool UsesGemv(int tokens, bool packed, int k) => tokens == 1 && packed && k % GemvKernel.Oct == 0 && !ThreadPerItem;

    private bool UsesFewTokenGemv(int tokens, bool packed, int k) =>
        FewTokenTile != 0 && tokens >= 2 && tokens <= FewTokenGemvKernel.MaxTokens && packed && k % GemvKernel.Oct == 0 && !ThreadPerItem;

    private void LaunchGemv(ArrayView<float> x, ArrayView<ushort> weight, ArrayView<ushort> bias, ArrayView<ushort> gain, ArrayView<float> y, MatMulShape shape)
    {
        // Two rows per warp; K in slices of at most GemvSliceLength, shorter while the groups would leave SMs idle.
        int rowGroups = GemvRowGroups(shape.N);
        int length = GemvSlice(shape.K, rowGroups, GemvSliceLength);
        int slices = GemvKernel.Slices(shape.K, length);
        EnsureGemvScratch(shape, slices, rowGroups, rowGroups);
        long groups = (long)rowGroups * slices;
        var config = new KernelConfig(new Index1D((int)groups), new Index1D(GemvGroupSize), SharedMemoryConfig.RequestDynamic<Float4>(length / 4));
        _gemv(config, x, weight, bias, gain, y, _gemvPartials.View, _gemvArrivals.View, shape with { SliceLength = length }, SpecializedValue.New(shape.WeightType));
    }

    private void LaunchFewTokenGemv(ArrayView<float> x, ArrayView<ushort> weight, ArrayView<ushort> bias, ArrayView<ushort> gain, ArrayView<float> y, MatMulShape shape)
    {
        // Steps of up to four tokens fill a tile of four; a wider tile would multiply staged copies of the last token.
        int tile = shape.Tokens <= TokenQuadSums.Tokens ? TokenQuadSums.Tokens : FewTokenTile;
        int tiles = (shape.Tokens + tile - 1) / tile;
        int rowGroups = GemvRowGroups(shape.N);
        int longest = Math.Min(GemvSliceLength, FewTokenGemvKernel.MaxStagedFloats / tile / GemvKernel.Oct * GemvKernel.Oct);
        int length = GemvSlice(shape.K, (long)tiles * rowGroups, longest);
        int slices = GemvKernel.Slices(shape.K, length);
        EnsureGemvScratch(shape, slices, rowGroups, (long)tiles * rowGroups);
        long groups = (long)tiles * rowGroups * slices;
        var config = new KernelConfig(new Index1D((int)groups), new Index1D(GemvGroupSize), SharedMemoryConfig.RequestDynamic<Float4>(tile * length / 4));
        var kernel = tile == FewTokenGemvKernel.MaxTile ? _fewTokenGemvOctet : _fewTokenGemvQuad;
        kernel(config, x, weight, bias, gain, y, _gemvPartials.View, _gemvArrivals.View, shape with { SliceLength = length }, SpecializedValue.New(shape.WeightType), SpecializedValue.New(tile));
    }

    /// <summary>Row groups of the GEMV kernels: two rows per warp.</summary>
    private int GemvRowGroups(int n)
    {
        int rowsPerGroup = 2 * (GemvGroupSize / _accelerator.WarpSize);
        return (n + rowsPerGroup - 1) / rowsPerGroup;
    }

    /// <summary>
    /// The K slice of a GEMV launch: at most <paramref name="longest"/>, shorter (down to 256 weights) while the groups
    /// (<paramref name="groupsPerSlice"/> for each slice) would leave most multiprocessors without two.
    /// </summary>
    private int GemvSlice(int k, long groupsPerSlice, int longest)
    {
        int length = Math.Min(longest, k);
        while (length > MinGemvSlice && groupsPerSlice * GemvKernel.Slices(k, length) < 2 * _accelerator.NumMultiprocessors)
        {
            length = Math.Max(MinGemvSlice, length / 2);
        }

        return (length + GemvKernel.Oct - 1) / GemvKernel.Oct * GemvKernel.Oct;
    }

    /// <summary>
    /// Partial sums (slices · tokens · N, and the squares of every row group's slices with a norm) and zeroed arrival
    /// counts for a sliced launch; both GEMV kernels share them, one launch at a time on the stream.
    /// </summary>
    private void EnsureGemvScratch(MatMulShape shape, int slices, int rowGroups, long counters)
    {
        if (slices == 1)
        {
            return;
        }

        bool normed = shape.NormType != WeightType.None;
        long partials = ((long)slices * shape.Tokens * shape.N) + (normed ? (long)rowGroups * slices * shape.Tokens : 0);
        if (partials > _gemvPartials.Length)
        {
            // Grown, never shrunk.
            _gemvPartials.Dispose();
            _gemvPartials = _accelerator.Allocate1D<float>(partials);
        }

        if (counters > _gemvArrivals.Length)
        {
            // The counts must start at zero; every launch leaves them so.
            _gemvArrivals.Dispose();
            _gemvArrivals = _accelerator.Allocate1D<int>(counters);
            _gemvArrivals.MemSetToZero();
        }
    }

    /// <summary>Shortest K slice <see cref="LaunchGemv"/> makes to find groups for idle multiprocessors.</summary>
    private const int MinGemvSlice = 256;

    private static int ChooseGroupSize(Accelerator accelerator, int wanted)
    {
        int limit = Math.Min(wanted, accelerator.MaxNumThreadsPerGroup);
        int size = accelerator.WarpSize;
        while (size * 2 <= limit)
        {
            size *= 2;
        }

        return size;
    }
}
