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
        Stage(x, norm, xs, scratch, shape);
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
            for (int row = 2 * firstWarp; row < n; row += 2 * totalWarps)
            {
                var sum = PairDot(w4, xs, row, n, quads, lane, quads, lanes, shape.WeightType);
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
        for (int row = 2 * Grid.IdxX; row < n; row += 2 * Grid.DimX)
        {
            var sum = PairDot(w4, xs, row, n, quads, begin + lane, end, lanes, shape.WeightType);
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
        float squares = 0f;
        for (int i = tid; i < k; i += 2 * g)
        {
            bool second = i + g < k;
            float v0 = shape.GatedInput != 0 ? SwiGluKernel.Gated(x[i], x[k + i]) : x[i];
            float v1 = second ? (shape.GatedInput != 0 ? SwiGluKernel.Gated(x[i + g], x[k + i + g]) : x[i + g]) : 0f;
            xs[i] = v0;
            if (second)
            {
                xs[i + g] = v1;
            }

            squares += (v0 * v0) + (v1 * v1);
        }

        if (shape.NormType != WeightType.None)
        {
            float inverse = 1f / MathF.Sqrt((GroupReductions.Sum(squares, scratch) / k) + shape.NormEps);
            for (int i = tid; i < k; i += g)
            {
                xs[i] *= inverse * WeightLoads.Load(norm, i, shape.NormType);
            }
        }

        Group.Barrier();
    }

    /// <summary>
    /// This lane's share of rows <paramref name="row"/> and row + 1 (absent past <paramref name="n"/>) times x̂ over the
    /// quads from <paramref name="first"/> (this lane's first) below <paramref name="end"/>, lanes apart.
    /// </summary>
    private static PairSum PairDot(ArrayView<ulong> w4, ArrayView<float> xs, int row, int n, int quads, int first, int end, int lanes, int type)
    {
        bool paired = row + 1 < n;
        int qa = row * quads;
        int qb = qa + quads;
        float da = 0f, db = 0f;
        for (int i = first; i < end; i += 4 * lanes)
        {
            int i1 = i + lanes, i2 = i + (2 * lanes), i3 = i + (3 * lanes);
            ulong a0 = w4[qa + i];
            ulong a1 = i1 < end ? w4[qa + i1] : 0UL;
            ulong a2 = i2 < end ? w4[qa + i2] : 0UL;
            ulong a3 = i3 < end ? w4[qa + i3] : 0UL;
            ulong b0 = paired ? w4[qb + i] : 0UL;
            ulong b1 = paired && i1 < end ? w4[qb + i1] : 0UL;
            ulong b2 = paired && i2 < end ? w4[qb + i2] : 0UL;
            ulong b3 = paired && i3 < end ? w4[qb + i3] : 0UL;
            da += QuadDot(xs, 4 * i, a0, type) + QuadDot(xs, 4 * i1, a1, type) + QuadDot(xs, 4 * i2, a2, type) + QuadDot(xs, 4 * i3, a3, type);
            db += QuadDot(xs, 4 * i, b0, type) + QuadDot(xs, 4 * i1, b1, type) + QuadDot(xs, 4 * i2, b2, type) + QuadDot(xs, 4 * i3, b3, type);
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

    private readonly struct PairSum(float a, float b)
    {
        public float A { get; } = a;

        public float B { get; } = b;
    }
}
