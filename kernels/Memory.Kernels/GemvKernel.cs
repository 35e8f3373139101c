using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// <see cref="MatMulKernel"/>'s product for a single token (a batch-1 decode step, or one row of logits), which is
/// all weight traffic: each group first stages x̂ (x; RMSNorm(x) · gain; or silu(gate) · up, the SwiGLU activation
/// folded in) in dynamic shared memory (K floats, sized at launch) once, then reads two weight rows at a time with
/// four 8-byte quads of each in flight per lane, so that enough bytes are outstanding per multiprocessor to approach
/// DRAM bandwidth. Many rows: each warp takes its own row pair over all of K. Few rows (too few warps to fill the
/// GPU that way): the group's warps split each pair's K and meet in shared memory. With one token every output
/// segment is y[row], so stacked projections need no index arithmetic. Needs 16-bit weights (and gain), K a
/// multiple of four and at most <see cref="MaxK"/>.
/// </summary>
public static class GemvKernel
{
    /// <summary>Largest inner dimension (x̂ takes K floats of the 48 KB a group may have without opting in to more).</summary>
    public const int MaxK = 8192;

    /// <summary>The kernel (explicitly grouped; any grid, group size a multiple of the warp size, at most 32 warps).</summary>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, MatMulShape shape)
    {
        var xs = SharedMemory.GetDynamic<float>();
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var w4 = w.Cast<ulong>();
        int quads = shape.K / 4;
        int n = shape.N;
        int lanes = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        int warpsPerGroup = Group.DimX / lanes;
        if (shape.SplitK == 0)
        {
            int firstWarp = (Grid.IdxX * warpsPerGroup) + Warp.WarpIdx;
            int totalWarps = Grid.DimX * warpsPerGroup;
            // The first pair's first quads are requested before x̂ is staged: the weights do not depend on it, and the
            // DRAM latency then overlaps the staging's.
            var batch = Batch(w4, 2 * firstWarp, n, quads, lane, quads, lanes);
            Stage(x, norm, xs, scratch, shape);
            for (int row = 2 * firstWarp; row < n; row += 2 * totalWarps)
            {
                var sum = PairDot(w4, xs, row, n, quads, lane, quads, lanes, shape.WeightType, batch);
                batch = Batch(w4, row + (2 * totalWarps), n, quads, lane, quads, lanes);
                float da = GroupReductions.WarpSum(sum.A);
                float db = GroupReductions.WarpSum(sum.B);
                if (lane == 0)
                {
                    Store(y, bias, shape, row, da);
                    if (row + 1 < n)
                    {
                        Store(y, bias, shape, row + 1, db);
                    }
                }
            }

            return;
        }

        // Warp-sized slices (a multiple of four quads) of each row for the group's warps.
        int slice = (((quads + warpsPerGroup - 1) / warpsPerGroup) + 3) / 4 * 4;
        int begin = Math.Min(quads, Warp.WarpIdx * slice);
        int end = Math.Min(quads, begin + slice);
        var first = Batch(w4, 2 * Grid.IdxX, n, quads, begin + lane, end, lanes);
        Stage(x, norm, xs, scratch, shape);
        for (int row = 2 * Grid.IdxX; row < n; row += 2 * Grid.DimX)
        {
            var sum = PairDot(w4, xs, row, n, quads, begin + lane, end, lanes, shape.WeightType, first);
            first = Batch(w4, row + (2 * Grid.DimX), n, quads, begin + lane, end, lanes);
            float da = GroupReductions.WarpSum(sum.A);
            float db = GroupReductions.WarpSum(sum.B);
            if (lane == 0)
            {
                scratch[2 * Warp.WarpIdx] = da;
                scratch[(2 * Warp.WarpIdx) + 1] = db;
            }

            Group.Barrier();
            if (Group.IdxX == 0)
            {
                float ta = 0f, tb = 0f;
                for (int v = 0; v < warpsPerGroup; v++)
                {
                    ta += scratch[2 * v];
                    tb += scratch[(2 * v) + 1];
                }

                Store(y, bias, shape, row, ta);
                if (row + 1 < n)
                {
                    Store(y, bias, shape, row + 1, tb);
                }
            }

            Group.Barrier();
        }
    }

    /// <summary>x̂ into shared memory (all threads of the group; ends on a barrier).</summary>
    private static void Stage(ArrayView<float> x, ArrayView<ushort> norm, ArrayView<float> xs, ArrayView<float> scratch, MatMulShape shape)
    {
        int k = shape.K;
        int tid = Group.IdxX;
        int g = Group.DimX;
        bool gated = shape.GatedInput != 0;
        bool normed = shape.NormType != WeightType.None;
        float squares = 0f;
        // Four elements a pass, all their loads (x, the up half when gated, the norm's gain) issued before any is used:
        // one element at a time made staging a chain of dependent L2 round trips, longer than the product after it.
        // The gain is applied here; the 1/rms factor, known only after the reduction, in a pass over shared memory.
        for (int i = tid; i < k; i += 4 * g)
        {
            int i1 = Math.Min(i + g, k - 1), i2 = Math.Min(i + (2 * g), k - 1), i3 = Math.Min(i + (3 * g), k - 1);
            float x0 = x[i], x1 = x[i1], x2 = x[i2], x3 = x[i3];
            float u0 = gated ? x[k + i] : 0f, u1 = gated ? x[k + i1] : 0f, u2 = gated ? x[k + i2] : 0f, u3 = gated ? x[k + i3] : 0f;
            float n0 = normed ? WeightLoads.Load(norm, i, shape.NormType) : 1f;
            float n1 = normed ? WeightLoads.Load(norm, i1, shape.NormType) : 1f;
            float n2 = normed ? WeightLoads.Load(norm, i2, shape.NormType) : 1f;
            float n3 = normed ? WeightLoads.Load(norm, i3, shape.NormType) : 1f;
            float v0 = gated ? SwiGluKernel.Gated(x0, u0) : x0;
            float v1 = i + g < k ? (gated ? SwiGluKernel.Gated(x1, u1) : x1) : 0f;
            float v2 = i + (2 * g) < k ? (gated ? SwiGluKernel.Gated(x2, u2) : x2) : 0f;
            float v3 = i + (3 * g) < k ? (gated ? SwiGluKernel.Gated(x3, u3) : x3) : 0f;
            xs[i] = v0 * n0;
            if (i + g < k)
            {
                xs[i1] = v1 * n1;
            }

            if (i + (2 * g) < k)
            {
                xs[i2] = v2 * n2;
            }

            if (i + (3 * g) < k)
            {
                xs[i3] = v3 * n3;
            }

            squares += ((v0 * v0) + (v1 * v1)) + ((v2 * v2) + (v3 * v3));
        }

        if (normed)
        {
            // Each thread scales the elements it staged itself, so only the reduction needs the group.
            float inverse = 1f / MathF.Sqrt((GroupReductions.Sum(squares, scratch) / k) + shape.NormEps);
            for (int i = tid; i < k; i += g)
            {
                xs[i] *= inverse;
            }
        }

        Group.Barrier();
    }

    /// <summary>
    /// The first four quads of this lane (from <paramref name="first"/>, lanes apart, below <paramref name="end"/>) of
    /// rows <paramref name="row"/> and row + 1; zero where there is no such quad or row.
    /// </summary>
    private static QuadBatch Batch(ArrayView<ulong> w4, int row, int n, int quads, int first, int end, int lanes)
    {
        bool hasA = row < n;
        bool hasB = row + 1 < n;
        int qa = row * quads;
        int qb = qa + quads;
        int i1 = first + lanes, i2 = first + (2 * lanes), i3 = first + (3 * lanes);
        return new QuadBatch(
            hasA && first < end ? w4[qa + first] : 0UL,
            hasA && i1 < end ? w4[qa + i1] : 0UL,
            hasA && i2 < end ? w4[qa + i2] : 0UL,
            hasA && i3 < end ? w4[qa + i3] : 0UL,
            hasB && first < end ? w4[qb + first] : 0UL,
            hasB && i1 < end ? w4[qb + i1] : 0UL,
            hasB && i2 < end ? w4[qb + i2] : 0UL,
            hasB && i3 < end ? w4[qb + i3] : 0UL);
    }

    /// <summary>
    /// This lane's share of rows <paramref name="row"/> and row + 1 (absent past <paramref name="n"/>) times x̂ over the
    /// quads from <paramref name="first"/> (this lane's first) below <paramref name="end"/>, lanes apart. The first four
    /// quads of each row arrive loaded (<paramref name="batch"/>); each pass requests the next four before it uses the
    /// current ones, so a lane always has loads in flight.
    /// </summary>
    private static PairSum PairDot(ArrayView<ulong> w4, ArrayView<float> xs, int row, int n, int quads, int first, int end, int lanes, int type, QuadBatch batch)
    {
        float da = 0f, db = 0f;
        for (int i = first; i < end; i += 4 * lanes)
        {
            var next = Batch(w4, row, n, quads, i + (4 * lanes), end, lanes);
            int i1 = i + lanes, i2 = i + (2 * lanes), i3 = i + (3 * lanes);
            da += QuadDot(xs, 4 * i, batch.A0, type) + QuadDot(xs, 4 * i1, batch.A1, type) + QuadDot(xs, 4 * i2, batch.A2, type) + QuadDot(xs, 4 * i3, batch.A3, type);
            db += QuadDot(xs, 4 * i, batch.B0, type) + QuadDot(xs, 4 * i1, batch.B1, type) + QuadDot(xs, 4 * i2, batch.B2, type) + QuadDot(xs, 4 * i3, batch.B3, type);
            batch = next;
        }

        return new PairSum(da, db);
    }

    /// <summary>Four weights times xs[d .. d + 3].</summary>
    private static float QuadDot(ArrayView<float> xs, int d, ulong bits, int type)
    {
        // Quads past the slice were loaded as zero and must not touch xs there (stale, possibly NaN, or past K).
        if (bits == 0UL)
        {
            return 0f;
        }

        return (xs[d] * WeightLoads.Widen((ushort)bits, type))
            + (xs[d + 1] * WeightLoads.Widen((ushort)(bits >> 16), type))
            + (xs[d + 2] * WeightLoads.Widen((ushort)(bits >> 32), type))
            + (xs[d + 3] * WeightLoads.Widen((ushort)(bits >> 48), type));
    }

    private static void Store(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int row, float value)
    {
        if (shape.BiasType != WeightType.None)
        {
            value += WeightLoads.Load(bias, row, shape.BiasType);
        }

        y[row] = shape.Accumulate != 0 ? y[row] + value : value;
    }

    /// <summary>Four quads of each of two rows, loaded ahead of their use.</summary>
    private readonly struct QuadBatch(ulong a0, ulong a1, ulong a2, ulong a3, ulong b0, ulong b1, ulong b2, ulong b3)
    {
        public ulong A0 { get; } = a0;

        public ulong A1 { get; } = a1;

        public ulong A2 { get; } = a2;

        public ulong A3 { get; } = a3;

        public ulong B0 { get; } = b0;

        public ulong B1 { get; } = b1;

        public ulong B2 { get; } = b2;

        public ulong B3 { get; } = b3;
    }

    private readonly struct PairSum(float a, float b)
    {
        public float A { get; } = a;

        public float B { get; } = b;
    }
}
