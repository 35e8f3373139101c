using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Memory.Kernels;

/// <summary>
/// <see cref="TiledMatMulKernel"/>'s product on the tensor cores (CUDA only, sm_80 or newer): y[tokens, n] (+)= x̂ · Wᵀ
/// (+ bias) with x̂ rounded to the weight's 16-bit type (bf16 or fp16) as it is staged, the products summed in fp32 by
/// <c>mma.sync.aligned.m16n8k16.row.col.f32.{bf16|f16}</c> (inline PTX): the token × k tile of x̂ is the row-major A,
/// W's rows are B's columns (W row-major [n, k] is exactly the col-major B the instruction wants). RMSNorm gain and
/// per-token inverse RMS (<see cref="RowInverseRmsKernel"/>), bias, accumulation and stacked output segments as in
/// <see cref="MatMulKernel"/>. Never launch it on another accelerator: <see cref="CudaAsm"/> has no CPU implementation.
/// </summary>
/// <remarks>
/// <para>
/// Tiling: a group of four warps computes <see cref="TileTokens"/> × <see cref="TileRows"/> outputs; warp (wm, wn) of the
/// 2 × 2 arrangement owns 32 tokens × 32 rows, i.e. 2 × 4 mma tiles of 16 × 8 with 32 fp32 accumulators per lane. Per
/// <see cref="TileK"/> step the group stages x̂ [64 × 32] and W [64 × 32] as 16-bit values in shared memory, rows padded
/// to <see cref="RowWords"/> 32-bit words (16 + 4, 80 bytes): the eight 16-byte rows one ldmatrix phase reads start at
/// words 0, 20, 8, 28, 16, 4, 24, 12 (mod 32), i.e. in distinct banks, and every row stays 16-byte aligned for
/// ldmatrix and the 128-bit staging stores. Per k16 a warp loads its fragments with four <c>ldmatrix.x4</c> (two for
/// A's 16-token tiles, two for W's four 8-row tiles) and issues eight mma. Two stage buffers (2 × 10 KiB) and one
/// register stage: at the top of step s the registers holding step s + 1 (four float4 of x, two 16-byte chunks of W
/// per thread) are converted (RMSNorm applied, cvt.rn.*x2) and stored into the idle buffer, then step s + 2's global
/// loads are issued, then step s's 16 mma per warp run; one barrier per step.
/// </para>
/// <para>
/// Measured on an H200 (docs/benchmarks.md, run-r, `memory bench gemm`, 512 tokens): O 47, down 66, gate/up 107 TFLOP/s,
/// 2.1–12.5× the FP32 tiled GEMM. The estimate written before that run follows. Offline (ILGPU O2 PTX, ptxas 11.8 sm_90): 95 registers, no
/// stack, 20 KiB static shared memory, about 135 instructions per warp and k step (180 with the norm) for 16
/// HMMA.16816 and 8 LDSM. Occupancy: 65,536 / (96 · 128) → 5 groups (20 warps) per SM by registers, 11 by shared
/// memory. A warp's k step moves 4 KiB through ldmatrix and 1 KiB of staging stores for 16 · 2,048 FMAs; at 128 B per
/// clock per SM that bounds the kernel near 40% of the dense bf16 peak, and mma.sync's issue rate and the instruction
/// overhead bound it about there too. For the 0.5B model's 512-token chunk the grids are 8 × 18 (QKV), 8 × 14 (O,
/// down) and 8 × 152 (gate/up) groups: the n = 896 products put one group (4 warps) on 112 of 132 SMs, so their k loop
/// is latency-bound (each load has one step of 16 mma and a barrier to arrive in); gate/up (58% of the layer FLOPs)
/// gets about nine groups per SM. The FP32 tiled kernel reached about 6 TFLOPS over the forward; this one should reach tens to low hundreds of
/// TFLOPS on the large products. Next steps if it is worth it: a 128 × 128 tile for large n, split-K or 32-token tiles
/// for n = 896, cp.async for W (it needs a raw global address, which ILGPU 1.5 does not hand out), deeper pipelines.
/// </para>
/// </remarks>
public static class MmaMatMulKernel
{
    /// <summary>Tokens per group tile.</summary>
    public const int TileTokens = 64;

    /// <summary>Output rows (weight rows) per group tile.</summary>
    public const int TileRows = 64;

    /// <summary>Inner-dimension slice staged per step (two k16 mma steps).</summary>
    public const int TileK = 32;

    /// <summary>Threads per group: four warps of 32 lanes.</summary>
    public const int GroupSize = 128;

    /// <summary>K must be a multiple of this: W's rows are staged in 16-byte loads of eight weights, x's in four floats.</summary>
    public const int KMultiple = 8;

    /// <summary>32-bit words per staged row: 16 of data (32 16-bit values) and 4 of padding against bank conflicts.</summary>
    public const int RowWords = (TileK / 2) + 4;

    /// <summary>Words of one staged tile (x̂ or W).</summary>
    private const int TileWords = TileTokens * RowWords;

    /// <summary>Words of one stage buffer (the x̂ tile then the W tile).</summary>
    private const int BufferWords = 2 * TileWords;

    /// <summary>
    /// The kernel (explicitly grouped; grid = ⌈tokens / 64⌉ · ⌈n / 64⌉, group = <see cref="GroupSize"/>), for 16-bit
    /// weights of the type <typeparamref name="TElement"/> names, K a multiple of <see cref="KMultiple"/>, x and W on
    /// 16-byte boundaries, the norm gain (if any) 16-bit on an 8-byte boundary.
    /// </summary>
    public static void Run<TElement>(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> inverseRms, ArrayView<float> y, MatMulShape shape)
        where TElement : struct, IMmaElement
    {
        var chunks = SharedMemory.Allocate<Bits128>(2 * BufferWords / 4);
        var pairs = chunks.Cast<ulong>();
        int k = shape.K;
        int n = shape.N;
        int tokens = shape.Tokens;
        int rowTiles = (n + TileRows - 1) / TileRows;
        int t0 = Grid.IdxX / rowTiles * TileTokens;
        int r0 = Grid.IdxX % rowTiles * TileRows;
        // Thread indices as unsigned shifts and masks (ILGPU emits signed rem/div, which ptxas did not reduce to them).
        uint tid = (uint)Group.IdxX;
        uint warp = tid >> 5;
        uint lane = tid & 31;
        int warpTokens = (int)(warp >> 1) * 32;
        int warpRows = (int)(warp & 1) * 32;
        bool normed = shape.NormType != WeightType.None;

        // Staging map: x's tile is 64 rows of eight float4s (thread: column quad tid % 8, rows tid / 8 + 16·i), W's is
        // 64 rows of four 8-weight chunks (thread: chunk tid % 4, rows tid / 4 + 32·i). Indices in loaded units.
        int xColumn = (int)(tid & 7) * 4;
        int xRow = (int)(tid >> 3);
        int wColumn = (int)(tid & 3) * 8;
        int wRow = (int)(tid >> 2);
        var loads = new MmaLoads(k, (((t0 + xRow) * k) + xColumn) >> 2, xColumn, (((r0 + wRow) * k) + wColumn) >> 3, wColumn, tokens - (t0 + xRow), n - (r0 + wRow));
        float inverse0 = RowInverse(inverseRms, normed, t0 + xRow, tokens);
        float inverse1 = RowInverse(inverseRms, normed, t0 + xRow + 16, tokens);
        float inverse2 = RowInverse(inverseRms, normed, t0 + xRow + 32, tokens);
        float inverse3 = RowInverse(inverseRms, normed, t0 + xRow + 48, tokens);
        int xStore = ((xRow * RowWords) + (xColumn / 2)) >> 1;
        int wStore = (TileWords + (wRow * RowWords) + (wColumn / 2)) >> 2;

        // ldmatrix row addresses (bytes in the shared window). A: lanes 0–15 give rows 0–15 at k 0, lanes 16–31 the same
        // rows at k 8: matrices (rows 0–7 | 8–15) × (k 0–7 | 8–15) in a0a1, a2a3, a4a5, a6a7 order. B (two 8-row tiles of
        // W): lane l gives row 8·(l / 16) + l % 8 at k 8·((l / 8) % 2): b0b1, b2b3 of the first tile, then the second's.
        uint shared = MmaPtx.SharedBase();
        uint aLane = shared + ((((uint)warpTokens + (lane & 15)) * RowWords) + ((lane >> 4) * 4)) * 4;
        uint bLane = shared + ((uint)TileWords + (((uint)warpRows + ((lane >> 4) * 8) + (lane & 7)) * RowWords) + (((lane >> 3) & 1) * 4)) * 4;

        var acc = default(MmaWarpTile);
        int steps = (k + TileK - 1) >> 5;
        var stage = loads.Load(x, w, norm, normed, 0);
        StoreStage<TElement>(chunks, pairs, 0, stage, normed, shape.NormType, xStore, wStore, inverse0, inverse1, inverse2, inverse3);
        stage = loads.Load(x, w, norm, normed, 1);
        Group.Barrier();
        for (int step = 0; step < steps; step++)
        {
            // Software pipeline: step + 1's registers (loaded during the previous step) go to the idle buffer, whose
            // last readers passed the previous barrier; then step + 2's loads are issued, with a whole step of mma and
            // a barrier to arrive in. Past the last step the loads are out of K: zeros, stored and never read.
            int odd = step & 1;
            StoreStage<TElement>(chunks, pairs, (1 - odd) * BufferWords, stage, normed, shape.NormType, xStore, wStore, inverse0, inverse1, inverse2, inverse3);
            stage = loads.Load(x, w, norm, normed, step + 2);
            uint buffer = (uint)(odd * BufferWords * 4);
            MultiplyK16<TElement>(ref acc, aLane + buffer, bLane + buffer);
            MultiplyK16<TElement>(ref acc, aLane + buffer + 32, bLane + buffer + 32);
            Group.Barrier();
        }

        // Accumulator c0, c1 of a 16 × 8 tile: token groupID, rows 2·tid_in_group and + 1; c2, c3: token groupID + 8.
        int token = t0 + warpTokens + (int)(lane >> 2);
        int row = r0 + warpRows + (int)((lane & 3) * 2);
        StoreRows(y, bias, shape, token, row, acc.Q00, acc.Q10);
        StoreRows(y, bias, shape, token, row + 8, acc.Q01, acc.Q11);
        StoreRows(y, bias, shape, token, row + 16, acc.Q02, acc.Q12);
        StoreRows(y, bias, shape, token, row + 24, acc.Q03, acc.Q13);
    }

    /// <summary>The inverse RMS of token <paramref name="t"/> when normed (0 past the last token), else 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowInverse(ArrayView<float> inverseRms, bool normed, int t, int tokens) =>
        !normed ? 1f : (t < tokens ? inverseRms[t] : 0f);

    /// <summary>
    /// One k16 step of the warp's 32 × 32 block: A fragments of the two 16-token tiles and B fragments of the four 8-row
    /// tiles by four ldmatrix.x4, then eight mma. <paramref name="a"/> and <paramref name="b"/> are the lane's ldmatrix
    /// row addresses of the first tiles; the second ones are 16 rows further.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyK16<TElement>(ref MmaWarpTile acc, uint a, uint b)
        where TElement : struct, IMmaElement
    {
        const uint Down16 = 16 * RowWords * 4;
        var a0 = MmaPtx.LoadMatrices(a);
        var a1 = MmaPtx.LoadMatrices(a + Down16);
        var b01 = MmaPtx.LoadMatrices(b);
        var b23 = MmaPtx.LoadMatrices(b + Down16);
        MmaPtx.Mma<TElement>(ref acc.Q00, a0, b01.A, b01.B);
        MmaPtx.Mma<TElement>(ref acc.Q01, a0, b01.C, b01.D);
        MmaPtx.Mma<TElement>(ref acc.Q02, a0, b23.A, b23.B);
        MmaPtx.Mma<TElement>(ref acc.Q03, a0, b23.C, b23.D);
        MmaPtx.Mma<TElement>(ref acc.Q10, a1, b01.A, b01.B);
        MmaPtx.Mma<TElement>(ref acc.Q11, a1, b01.C, b01.D);
        MmaPtx.Mma<TElement>(ref acc.Q12, a1, b23.A, b23.B);
        MmaPtx.Mma<TElement>(ref acc.Q13, a1, b23.C, b23.D);
    }

    /// <summary>
    /// Writes a stage's registers into the stage buffer at word <paramref name="buffer"/>: x̂ (normed when asked) rounded to
    /// the 16-bit type, W as loaded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreStage<TElement>(ArrayView<Bits128> chunks, ArrayView<ulong> pairs, int buffer, MmaStage stage, bool normed, int normType, int xStore, int wStore, float inverse0, float inverse1, float inverse2, float inverse3)
        where TElement : struct, IMmaElement
    {
        int x0 = (buffer >> 1) + xStore;
        const int Down16 = 16 * RowWords / 2;
        if (normed)
        {
            float g0 = WeightLoads.Widen((ushort)stage.Gain, normType);
            float g1 = WeightLoads.Widen((ushort)(stage.Gain >> 16), normType);
            float g2 = WeightLoads.Widen((ushort)(stage.Gain >> 32), normType);
            float g3 = WeightLoads.Widen((ushort)(stage.Gain >> 48), normType);
            pairs[x0] = MmaPtx.PackQuad<TElement>(Scale(stage.X0, inverse0, g0, g1, g2, g3));
            pairs[x0 + Down16] = MmaPtx.PackQuad<TElement>(Scale(stage.X1, inverse1, g0, g1, g2, g3));
            pairs[x0 + (2 * Down16)] = MmaPtx.PackQuad<TElement>(Scale(stage.X2, inverse2, g0, g1, g2, g3));
            pairs[x0 + (3 * Down16)] = MmaPtx.PackQuad<TElement>(Scale(stage.X3, inverse3, g0, g1, g2, g3));
        }
        else
        {
            pairs[x0] = MmaPtx.PackQuad<TElement>(stage.X0);
            pairs[x0 + Down16] = MmaPtx.PackQuad<TElement>(stage.X1);
            pairs[x0 + (2 * Down16)] = MmaPtx.PackQuad<TElement>(stage.X2);
            pairs[x0 + (3 * Down16)] = MmaPtx.PackQuad<TElement>(stage.X3);
        }

        int w0 = (buffer >> 2) + wStore;
        chunks[w0] = stage.W0;
        chunks[w0 + (32 * RowWords / 4)] = stage.W1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Float4 Scale(Float4 v, float inverse, float g0, float g1, float g2, float g3) =>
        new(v.X * inverse * g0, v.Y * inverse * g1, v.Z * inverse * g2, v.W * inverse * g3);

    /// <summary>
    /// Rows <paramref name="row"/> and + 1 of the lane's two 16-token tiles (accumulators c0, c1 at token groupID, c2, c3 at
    /// groupID + 8; the lower tile 16 tokens further), bias added (loaded once per row), stored where in range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int token, int row, MmaQuad upper, MmaQuad lower)
    {
        float b0 = BiasAt(bias, shape, row);
        float b1 = BiasAt(bias, shape, row + 1);
        StorePair(y, shape, token, row, upper.X.Value + b0, upper.Y.Value + b1);
        StorePair(y, shape, token + 8, row, upper.Z.Value + b0, upper.W.Value + b1);
        StorePair(y, shape, token + 16, row, lower.X.Value + b0, lower.Y.Value + b1);
        StorePair(y, shape, token + 24, row, lower.Z.Value + b0, lower.W.Value + b1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float BiasAt(ArrayView<ushort> bias, MatMulShape shape, int row) =>
        shape.BiasType == WeightType.None || row >= shape.N ? 0f : WeightLoads.Load(bias, row, shape.BiasType);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(ArrayView<float> y, MatMulShape shape, int token, int row, float v0, float v1)
    {
        if (token < shape.Tokens)
        {
            if (row < shape.N)
            {
                MatMulKernel.Store(y, shape, token, row, v0);
            }

            if (row + 1 < shape.N)
            {
                MatMulKernel.Store(y, shape, token, row + 1, v1);
            }
        }
    }
}

/// <summary>The 16-bit element type of <see cref="MmaMatMulKernel"/>'s operands, as a type argument (one compiled kernel each).</summary>
public interface IMmaElement
{
    /// <summary>True for bfloat16, false for IEEE binary16.</summary>
    bool IsBFloat16 { get; }
}

/// <summary>bfloat16 operands (<see cref="WeightType.BFloat16"/> weights).</summary>
public readonly struct MmaBFloat16 : IMmaElement
{
    /// <inheritdoc />
    public bool IsBFloat16 => true;
}

/// <summary>IEEE binary16 operands (<see cref="WeightType.Float16"/> weights).</summary>
public readonly struct MmaFloat16 : IMmaElement
{
    /// <inheritdoc />
    public bool IsBFloat16 => false;
}

/// <summary>A lane's accumulators of its warp's 32 × 32 block: tile (i, j) covers tokens 16·i.., rows 8·j.. (no register arrays in ILGPU).</summary>
internal struct MmaWarpTile
{
    public MmaQuad Q00;
    public MmaQuad Q01;
    public MmaQuad Q02;
    public MmaQuad Q03;
    public MmaQuad Q10;
    public MmaQuad Q11;
    public MmaQuad Q12;
    public MmaQuad Q13;
}

/// <summary>One thread's share of a k step's global loads, held in registers while the previous step's mma run.</summary>
internal readonly struct MmaStage(Float4 x0, Float4 x1, Float4 x2, Float4 x3, Bits128 w0, Bits128 w1, ulong gain)
{
    public readonly Float4 X0 = x0;
    public readonly Float4 X1 = x1;
    public readonly Float4 X2 = x2;
    public readonly Float4 X3 = x3;
    public readonly Bits128 W0 = w0;
    public readonly Bits128 W1 = w1;
    public readonly ulong Gain = gain;
}

/// <summary>
/// Where one thread's staging loads start: its first x float4 and W chunk (in those units) and their columns in a step,
/// and how many of its x and W rows lie in range (its rows are 16 tokens and 32 weight rows apart).
/// </summary>
internal readonly struct MmaLoads(int k, int x, int xColumn, int w, int wColumn, int xRows, int wRows)
{
    private readonly int _k = k;
    private readonly int _x = x;
    private readonly int _xColumn = xColumn;
    private readonly int _w = w;
    private readonly int _wColumn = wColumn;
    private readonly int _xRows = xRows;
    private readonly int _wRows = wRows;

    /// <summary>
    /// Step <paramref name="step"/>'s x[t + 16·i, c..c + 3] for i &lt; 4 and W[r + 32·i, c'..c' + 7] for i &lt; 2 (zeros past
    /// the last token, N or K) and the norm gain [c..c + 3] when normed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public MmaStage Load(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> norm, bool normed, int step)
    {
        int k = _k;
        int xDown16 = 4 * k;
        int wDown32 = 4 * k;
        var x4 = x.Cast<Float4>();
        var w8 = w.Cast<Bits128>();
        bool xIn = (step * MmaMatMulKernel.TileK) + _xColumn < k;
        bool wIn = (step * MmaMatMulKernel.TileK) + _wColumn < k;
        int xi = _x + (step * (MmaMatMulKernel.TileK / 4));
        int wi = _w + (step * (MmaMatMulKernel.TileK / 8));
        return new MmaStage(
            xIn && _xRows > 0 ? x4[xi] : default,
            xIn && _xRows > 16 ? x4[xi + xDown16] : default,
            xIn && _xRows > 32 ? x4[xi + (2 * xDown16)] : default,
            xIn && _xRows > 48 ? x4[xi + (3 * xDown16)] : default,
            wIn && _wRows > 0 ? w8[wi] : default,
            wIn && _wRows > 32 ? w8[wi + wDown32] : default,
            xIn && normed ? norm.Cast<ulong>()[(step * (MmaMatMulKernel.TileK / 4)) + (_xColumn / 4)] : 0ul);
    }
}
