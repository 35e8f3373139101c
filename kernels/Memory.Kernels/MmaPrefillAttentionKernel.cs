using System.Runtime.CompilerServices;
using ILGPU;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// <see cref="PrefillAttentionKernel"/> for head dimension 64 on the tensor cores (CUDA sm_80 or newer), flash-attention 2
/// style: a group of four warps takes <see cref="QueryTile"/> queries of one head, each warp 16 of them, and walks the
/// keys <see cref="KeyTile"/> at a time. Per key tile the group stages K and V (fp16, as cached) in shared memory; each
/// warp computes its 16 × 64 scores S = Q̂ · Kᵀ with 32 <c>mma.m16n8k16.f16</c> (Q̂ = q · scale · log₂e rounded to fp16,
/// its fragments by ldmatrix, K's by ldmatrix as the column-major B), applies the causal mask and window, updates its
/// rows' running max and sum (a row lives in the four lanes of a quad: two shuffles), and accumulates O += P · V with
/// 32 more mma: an S accumulator tile is already laid out as the A fragment of P (rounded to fp16), V's fragments come
/// from <c>ldmatrix.trans</c>. Scores and the 16 × 64 output stay in registers. Same grid shape (tiles · heads · splits,
/// split fastest), key ranges (<see cref="PrefillGroup"/>), outputs and split scratch as
/// <see cref="PrefillAttentionKernel"/>; the max is written back in natural-log units for
/// <see cref="PagedAttentionKernel.Merge"/>.
/// </summary>
/// <remarks>
/// Shared memory: one static allocation of Q̂, K and V tiles, 64 rows each of 64 16-bit values padded to
/// <see cref="RowWords"/> 32-bit words (144 bytes: the eight rows of an ldmatrix phase start in distinct bank quads),
/// 27 KiB per group. Single-buffered: one barrier before the staging and one after; the occupancy of several groups
/// per SM hides the staging. Offline (ILGPU O2 PTX, ptxas 11.8 sm_90): 102 registers, no stack, 40 HMMA per key tile. On an
/// H200 (run-s, docs/benchmarks.md) an 8K prefill in 512-token chunks ran 3.3× faster with it than with the SIMT kernel.
/// Next: double-buffered K/V staging, a 128-query tile for long chunks.
/// </remarks>
public static class MmaPrefillAttentionKernel
{
    public const int HeadDim = 64;
    public const int QueryTile = 64;
    public const int KeyTile = 64;
    public const int GroupSize = 128;

    /// <summary>32-bit words per staged row: 32 of data (64 halves) and 4 of padding.</summary>
    public const int RowWords = (HeadDim / 2) + 4;

    private const int TileWords = QueryTile * RowWords;
    private const int ChunksPerRow = HeadDim / 8;
    private const float Log2E = 1.44269504f;
    private const float Ln2 = 0.693147181f;

    /// <summary>The kernel (explicitly grouped, <see cref="GroupSize"/> threads; grid ⌈tokens / 64⌉ · heads · splits).</summary>
    public static void Run(
        ArrayView<float> q,
        ArrayView<Half> kCache,
        ArrayView<Half> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> output,
        ArrayView<float> scratch,
        int tokens,
        AttentionShape shape)
    {
        var chunks = SharedMemory.Allocate<Bits128>(3 * TileWords / 4);
        var pairs = chunks.Cast<ulong>();
        int heads = shape.Heads;
        int kvDim = shape.KvHeads * HeadDim;
        var group = PrefillGroup.OfThisGroup(positions, tableOffsets, tokens, shape, QueryTile);
        int head = group.Head;
        int t0 = group.FirstToken;
        int queries = group.Queries;
        uint tid = (uint)Group.IdxX;
        uint warp = tid >> 5;
        uint lane = tid & 31;

        // Q̂ (scaled into log₂ units) into rows 0–63: thread column quad tid % 16, rows tid / 16 + 8·i.
        var q4 = q.Cast<Float4>();
        float scale = shape.Scale * Log2E;
        int qColumn = (int)(tid & 15);
        for (int r = (int)(tid >> 4); r < QueryTile; r += GroupSize / 16)
        {
            var v = r < queries ? q4[(((((t0 + r) * heads) + head) * HeadDim) >> 2) + qColumn] : default;
            pairs[(r * (RowWords / 2)) + qColumn] = MmaPtx.PackQuad<MmaFloat16>(new Float4(v.X * scale, v.Y * scale, v.Z * scale, v.W * scale));
        }

        // The lane's two query rows (quad groupID and + 8 of its warp's 16) and what each may see.
        int rowA = ((int)warp * 16) + (int)(lane >> 2);
        var seesA = QueryKeys.Of(positions, t0, rowA, queries, shape.Window, group.LastKey);
        var seesB = QueryKeys.Of(positions, t0, rowA + 8, queries, shape.Window, group.LastKey);
        // Keys past the warp's last query position are masked for all its rows: the warp skips such tiles' arithmetic.
        int warpLast = (int)warp * 16 < queries ? positions[t0 + Math.Min(((int)warp * 16) + 15, queries - 1)] : -1;

        // ldmatrix row addresses (bytes). Q̂ as A: rows warp·16 + l % 16, k half l / 16. K as B (two 8-key tiles per
        // x4): key 8·(l / 16) + l % 8, dims 8·((l / 8) % 2). V as B through .trans: key l % 16, dims 8·(l / 16).
        uint shared = MmaPtx.SharedBase();
        uint qLane = shared + ((((warp * 16) + (lane & 15)) * RowWords) + ((lane >> 4) * 4)) * 4;
        uint kLane = shared + ((uint)TileWords + ((((lane >> 4) * 8) + (lane & 7)) * RowWords) + (((lane >> 3) & 1) * 4)) * 4;
        uint vLane = shared + ((2u * TileWords) + ((lane & 15) * RowWords) + ((lane >> 4) * 4)) * 4;
        const uint Down16 = 16 * RowWords * 4;

        // Staging map of a K/V tile: thread chunk tid % 8 of rows tid / 8 + 16·i (i < 4), in Bits128 units.
        int chunk = (int)(tid & 7);
        int stageRow = (int)(tid >> 3);
        var k8 = kCache.Cast<Bits128>();
        var v8 = vCache.Cast<Bits128>();
        int columnChunk = (group.KvOffset >> 3) + chunk;

        float mA = float.NegativeInfinity, mB = float.NegativeInfinity, lA = 0f, lB = 0f;
        var o = default(MmaRowTile);
        int tableOffset = group.TableOffset;
        int lastKey = group.LastKey;
        for (int start = group.FirstKey; start <= lastKey; start += KeyTile)
        {
            Group.Barrier();
            for (int r = stageRow; r < KeyTile; r += GroupSize / ChunksPerRow)
            {
                int key = start + r;
                Bits128 kv = default, vv = default;
                if (key <= lastKey)
                {
                    int slot = (blockTable[tableOffset + (key / shape.BlockSize)] * shape.BlockSize) + (key % shape.BlockSize);
                    int at = ((slot * kvDim) >> 3) + columnChunk;
                    kv = k8[at];
                    vv = v8[at];
                }

                chunks[(TileWords / 4) + (r * (RowWords / 4)) + chunk] = kv;
                chunks[(2 * TileWords / 4) + (r * (RowWords / 4)) + chunk] = vv;
            }

            Group.Barrier();
            if (start > warpLast)
            {
                continue;
            }

            var s = default(MmaRowTile);
            for (uint ks = 0; ks < HeadDim / 16; ks++)
            {
                var a = MmaPtx.LoadMatrices(qLane + (ks * 32));
                var b = MmaPtx.LoadMatrices(kLane + (ks * 32));
                MmaPtx.Mma<MmaFloat16>(ref s.T0, a, b.A, b.B);
                MmaPtx.Mma<MmaFloat16>(ref s.T1, a, b.C, b.D);
                b = MmaPtx.LoadMatrices(kLane + Down16 + (ks * 32));
                MmaPtx.Mma<MmaFloat16>(ref s.T2, a, b.A, b.B);
                MmaPtx.Mma<MmaFloat16>(ref s.T3, a, b.C, b.D);
                b = MmaPtx.LoadMatrices(kLane + (2 * Down16) + (ks * 32));
                MmaPtx.Mma<MmaFloat16>(ref s.T4, a, b.A, b.B);
                MmaPtx.Mma<MmaFloat16>(ref s.T5, a, b.C, b.D);
                b = MmaPtx.LoadMatrices(kLane + (3 * Down16) + (ks * 32));
                MmaPtx.Mma<MmaFloat16>(ref s.T6, a, b.A, b.B);
                MmaPtx.Mma<MmaFloat16>(ref s.T7, a, b.C, b.D);
            }

            // Columns of tile j at this lane: keys start + 8·j + 2·(l % 4) and + 1.
            int key0 = start + (int)((lane & 3) * 2);
            Mask(ref s.T0, key0, seesA, seesB);
            Mask(ref s.T1, key0 + 8, seesA, seesB);
            Mask(ref s.T2, key0 + 16, seesA, seesB);
            Mask(ref s.T3, key0 + 24, seesA, seesB);
            Mask(ref s.T4, key0 + 32, seesA, seesB);
            Mask(ref s.T5, key0 + 40, seesA, seesB);
            Mask(ref s.T6, key0 + 48, seesA, seesB);
            Mask(ref s.T7, key0 + 56, seesA, seesB);
            float newA = MathF.Max(mA, QuadMax(s.MaxUpper()));
            float newB = MathF.Max(mB, QuadMax(s.MaxLower()));
            // A row that has seen no key yet keeps max −∞: nothing to rescale, and its probabilities stay 0.
            float correctionA = newA == float.NegativeInfinity ? 1f : MmaPtx.Exp2(mA - newA);
            float correctionB = newB == float.NegativeInfinity ? 1f : MmaPtx.Exp2(mB - newB);
            mA = newA;
            mB = newB;
            float sumA = 0f, sumB = 0f;
            Exponentiate(ref s.T0, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T1, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T2, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T3, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T4, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T5, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T6, mA, mB, ref sumA, ref sumB);
            Exponentiate(ref s.T7, mA, mB, ref sumA, ref sumB);
            // Each lane keeps the sum over its own columns; the quad's partial sums are added once, at the end.
            lA = (lA * correctionA) + sumA;
            lB = (lB * correctionB) + sumB;
            o.Rescale(correctionA, correctionB);
            AccumulateValues(ref o, s.T0, s.T1, vLane);
            AccumulateValues(ref o, s.T2, s.T3, vLane + Down16);
            AccumulateValues(ref o, s.T4, s.T5, vLane + (2 * Down16));
            AccumulateValues(ref o, s.T6, s.T7, vLane + (3 * Down16));
        }

        lA = QuadSum(lA);
        lB = QuadSum(lB);
        int column = (int)((lane & 3) * 2);
        var target = new AttentionTarget(output, scratch, tokens, heads, shape.Splits, group.Split, head);
        target.Write(seesA.Active, t0 + rowA, mA, lA, column, o.T0.X.Value, o.T0.Y.Value, o.T1.X.Value, o.T1.Y.Value, o.T2.X.Value, o.T2.Y.Value, o.T3.X.Value, o.T3.Y.Value,
            o.T4.X.Value, o.T4.Y.Value, o.T5.X.Value, o.T5.Y.Value, o.T6.X.Value, o.T6.Y.Value, o.T7.X.Value, o.T7.Y.Value);
        target.Write(seesB.Active, t0 + rowA + 8, mB, lB, column, o.T0.Z.Value, o.T0.W.Value, o.T1.Z.Value, o.T1.W.Value, o.T2.Z.Value, o.T2.W.Value, o.T3.Z.Value, o.T3.W.Value,
            o.T4.Z.Value, o.T4.W.Value, o.T5.Z.Value, o.T5.W.Value, o.T6.Z.Value, o.T6.W.Value, o.T7.Z.Value, o.T7.W.Value);
    }

    /// <summary>−∞ for the scores of keys a row may not see (c0, c1 belong to row A, c2, c3 to row B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mask(ref MmaQuad t, int key, QueryKeys a, QueryKeys b)
    {
        if (!a.Sees(key))
        {
            t.X.Value = float.NegativeInfinity;
        }

        if (!a.Sees(key + 1))
        {
            t.Y.Value = float.NegativeInfinity;
        }

        if (!b.Sees(key))
        {
            t.Z.Value = float.NegativeInfinity;
        }

        if (!b.Sees(key + 1))
        {
            t.W.Value = float.NegativeInfinity;
        }
    }

    /// <summary>Scores to unnormalised probabilities 2^(s − max), added to the rows' sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Exponentiate(ref MmaQuad t, float maxA, float maxB, ref float sumA, ref float sumB)
    {
        t.X.Value = Probability(t.X.Value, maxA);
        t.Y.Value = Probability(t.Y.Value, maxA);
        t.Z.Value = Probability(t.Z.Value, maxB);
        t.W.Value = Probability(t.W.Value, maxB);
        sumA += t.X.Value + t.Y.Value;
        sumB += t.Z.Value + t.W.Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Probability(float score, float max) => score == float.NegativeInfinity ? 0f : MmaPtx.Exp2(score - max);

    /// <summary>
    /// O += P · V for 16 keys: the probabilities of score tiles <paramref name="low"/> (8 keys) and <paramref name="high"/>
    /// (the next 8), rounded to fp16, are the A fragment; V's 16 × 64 rows at <paramref name="v"/> come as eight B
    /// fragments from four ldmatrix.x4.trans.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateValues(ref MmaRowTile o, MmaQuad low, MmaQuad high, uint v)
    {
        var a = new Bits128(
            MmaPtx.Pack<MmaFloat16>(low.X.Value, low.Y.Value),
            MmaPtx.Pack<MmaFloat16>(low.Z.Value, low.W.Value),
            MmaPtx.Pack<MmaFloat16>(high.X.Value, high.Y.Value),
            MmaPtx.Pack<MmaFloat16>(high.Z.Value, high.W.Value));
        var b = MmaPtx.LoadMatricesTransposed(v);
        MmaPtx.Mma<MmaFloat16>(ref o.T0, a, b.A, b.B);
        MmaPtx.Mma<MmaFloat16>(ref o.T1, a, b.C, b.D);
        b = MmaPtx.LoadMatricesTransposed(v + 32);
        MmaPtx.Mma<MmaFloat16>(ref o.T2, a, b.A, b.B);
        MmaPtx.Mma<MmaFloat16>(ref o.T3, a, b.C, b.D);
        b = MmaPtx.LoadMatricesTransposed(v + 64);
        MmaPtx.Mma<MmaFloat16>(ref o.T4, a, b.A, b.B);
        MmaPtx.Mma<MmaFloat16>(ref o.T5, a, b.C, b.D);
        b = MmaPtx.LoadMatricesTransposed(v + 96);
        MmaPtx.Mma<MmaFloat16>(ref o.T6, a, b.A, b.B);
        MmaPtx.Mma<MmaFloat16>(ref o.T7, a, b.C, b.D);
    }

    /// <summary>Max over the four lanes of a quad (the lanes holding one accumulator row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float QuadMax(float value)
    {
        value = MathF.Max(value, Warp.ShuffleXor(value, 1));
        return MathF.Max(value, Warp.ShuffleXor(value, 2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float QuadSum(float value)
    {
        value += Warp.ShuffleXor(value, 1);
        return value + Warp.ShuffleXor(value, 2);
    }

    /// <summary>Where a group's rows go: the output (one split) or the split scratch in Merge's layout.</summary>
    private readonly struct AttentionTarget(ArrayView<float> output, ArrayView<float> scratch, int tokens, int heads, int splits, int split, int head)
    {
        /// <summary>
        /// Row <paramref name="token"/>'s 16 values of this lane (dims 8·j + <paramref name="column"/> and + 1 for j &lt; 8),
        /// normalised by the row sum with one split, else unnormalised with the row's max (converted from log₂ to
        /// natural units) and sum, which the quad's first lane writes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(bool active, int token, float max, float sum, int column, float d00, float d01, float d10, float d11, float d20, float d21, float d30, float d31, float d40, float d41, float d50, float d51, float d60, float d61, float d70, float d71)
        {
            if (!active)
            {
                return;
            }

            ArrayView<float> target;
            int row;
            float factor;
            if (splits == 1)
            {
                target = output;
                row = (token * heads) + head;
                factor = 1f / sum;
            }
            else
            {
                target = scratch;
                row = (((token * heads) + head) * splits) + split;
                factor = 1f;
                if (column == 0)
                {
                    int stats = (tokens * heads * splits * HeadDim) + (2 * row);
                    scratch[stats] = max == float.NegativeInfinity ? max : max * Ln2;
                    scratch[stats + 1] = sum;
                }
            }

            var pairs = target.Cast<Float2>();
            int at = ((row * HeadDim) + column) >> 1;
            pairs[at] = new Float2(d00 * factor, d01 * factor);
            pairs[at + 4] = new Float2(d10 * factor, d11 * factor);
            pairs[at + 8] = new Float2(d20 * factor, d21 * factor);
            pairs[at + 12] = new Float2(d30 * factor, d31 * factor);
            pairs[at + 16] = new Float2(d40 * factor, d41 * factor);
            pairs[at + 20] = new Float2(d50 * factor, d51 * factor);
            pairs[at + 24] = new Float2(d60 * factor, d61 * factor);
            pairs[at + 28] = new Float2(d70 * factor, d71 * factor);
        }
    }
}

/// <summary>The keys one query of a prefill tile may see: causal (≤ its position), inside its window and its group's range.</summary>
internal readonly struct QueryKeys(bool active, int position, int windowStart, int lastKey)
{
    public bool Active { get; } = active;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Sees(int key) => Active && key <= position && key >= windowStart && key <= lastKey;

    /// <summary>Query <paramref name="row"/> of the tile starting at chunk token <paramref name="t0"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QueryKeys Of(ArrayView<int> positions, int t0, int row, int queries, int window, int lastKey)
    {
        bool active = row < queries;
        int position = active ? positions[t0 + row] : -1;
        return new QueryKeys(active, position, window > 0 ? position - window + 1 : 0, lastKey);
    }
}

/// <summary>A lane's accumulators of a warp's 16 × 64 tile: eight m16n8 tiles, columns 8·j.. (no register arrays in ILGPU).</summary>
internal struct MmaRowTile
{
    public MmaQuad T0;
    public MmaQuad T1;
    public MmaQuad T2;
    public MmaQuad T3;
    public MmaQuad T4;
    public MmaQuad T5;
    public MmaQuad T6;
    public MmaQuad T7;

    /// <summary>The largest of the upper row's values (c0, c1 of every tile).</summary>
    public readonly float MaxUpper() =>
        MathF.Max(
            MathF.Max(MathF.Max(MathF.Max(T0.X.Value, T0.Y.Value), MathF.Max(T1.X.Value, T1.Y.Value)), MathF.Max(MathF.Max(T2.X.Value, T2.Y.Value), MathF.Max(T3.X.Value, T3.Y.Value))),
            MathF.Max(MathF.Max(MathF.Max(T4.X.Value, T4.Y.Value), MathF.Max(T5.X.Value, T5.Y.Value)), MathF.Max(MathF.Max(T6.X.Value, T6.Y.Value), MathF.Max(T7.X.Value, T7.Y.Value))));

    /// <summary>The largest of the lower row's values (c2, c3 of every tile).</summary>
    public readonly float MaxLower() =>
        MathF.Max(
            MathF.Max(MathF.Max(MathF.Max(T0.Z.Value, T0.W.Value), MathF.Max(T1.Z.Value, T1.W.Value)), MathF.Max(MathF.Max(T2.Z.Value, T2.W.Value), MathF.Max(T3.Z.Value, T3.W.Value))),
            MathF.Max(MathF.Max(MathF.Max(T4.Z.Value, T4.W.Value), MathF.Max(T5.Z.Value, T5.W.Value)), MathF.Max(MathF.Max(T6.Z.Value, T6.W.Value), MathF.Max(T7.Z.Value, T7.W.Value))));

    /// <summary>Multiplies the upper row by <paramref name="upper"/> and the lower by <paramref name="lower"/>.</summary>
    public void Rescale(float upper, float lower)
    {
        T0.Scale(upper, lower);
        T1.Scale(upper, lower);
        T2.Scale(upper, lower);
        T3.Scale(upper, lower);
        T4.Scale(upper, lower);
        T5.Scale(upper, lower);
        T6.Scale(upper, lower);
        T7.Scale(upper, lower);
    }
}
