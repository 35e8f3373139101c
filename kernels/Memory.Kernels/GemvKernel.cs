using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// <see cref="MatMulKernel"/>'s product for a single token (a batch-1 decode step, or one row of logits), which is
/// all weight traffic: each group first stages x̂ (x, or RMSNorm(x) · gain) in dynamic shared memory (K floats, sized
/// at launch) once, then each warp
/// takes two weight rows at a time with four 8-byte quads of each in flight per lane, so that enough bytes are
/// outstanding per multiprocessor to approach DRAM bandwidth. With one token every output segment is y[row], so
/// stacked projections need no index arithmetic. Needs 16-bit weights (and gain), K a multiple of four and at most
/// <see cref="MaxK"/>.
/// </summary>
public static class GemvKernel
{
    /// <summary>Largest inner dimension (x̂ takes K floats of the 48 KB a group may have without opting in to more).</summary>
    public const int MaxK = 8192;

    /// <summary>The kernel (explicitly grouped; any grid, group size a multiple of the warp size).</summary>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, MatMulShape shape)
    {
        var xs = SharedMemory.GetDynamic<float>();
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        int k = shape.K;
        int n = shape.N;
        int tid = Group.IdxX;
        int g = Group.DimX;
        bool normed = shape.NormType != WeightType.None;
        float squares = 0f;
        for (int i = tid; i < k; i += 2 * g)
        {
            float v0 = x[i];
            float v1 = i + g < k ? x[i + g] : 0f;
            xs[i] = v0;
            if (i + g < k)
            {
                xs[i + g] = v1;
            }

            squares += (v0 * v0) + (v1 * v1);
        }

        if (normed)
        {
            float inverse = 1f / MathF.Sqrt((GroupReductions.Sum(squares, scratch) / k) + shape.NormEps);
            for (int i = tid; i < k; i += g)
            {
                xs[i] *= inverse * WeightLoads.Load(norm, i, shape.NormType);
            }
        }

        Group.Barrier();
        var w4 = w.Cast<ulong>();
        int quads = k / 4;
        int lanes = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        int warpsPerGroup = g / lanes;
        int firstWarp = (Grid.IdxX * warpsPerGroup) + Warp.WarpIdx;
        int totalWarps = Grid.DimX * warpsPerGroup;
        int type = shape.WeightType;
        for (int row = 2 * firstWarp; row < n; row += 2 * totalWarps)
        {
            int other = row + 1;
            bool paired = other < n;
            int qa = row * quads;
            int qb = other * quads;
            float da = 0f, db = 0f;
            for (int i = lane; i < quads; i += 4 * lanes)
            {
                int i1 = i + lanes, i2 = i + (2 * lanes), i3 = i + (3 * lanes);
                ulong a0 = w4[qa + i];
                ulong a1 = i1 < quads ? w4[qa + i1] : 0UL;
                ulong a2 = i2 < quads ? w4[qa + i2] : 0UL;
                ulong a3 = i3 < quads ? w4[qa + i3] : 0UL;
                ulong b0 = paired ? w4[qb + i] : 0UL;
                ulong b1 = paired && i1 < quads ? w4[qb + i1] : 0UL;
                ulong b2 = paired && i2 < quads ? w4[qb + i2] : 0UL;
                ulong b3 = paired && i3 < quads ? w4[qb + i3] : 0UL;
                da += QuadDot(xs, 4 * i, a0, type) + QuadDot(xs, 4 * i1, a1, type) + QuadDot(xs, 4 * i2, a2, type) + QuadDot(xs, 4 * i3, a3, type);
                db += QuadDot(xs, 4 * i, b0, type) + QuadDot(xs, 4 * i1, b1, type) + QuadDot(xs, 4 * i2, b2, type) + QuadDot(xs, 4 * i3, b3, type);
            }

            da = GroupReductions.WarpSum(da);
            db = GroupReductions.WarpSum(db);
            if (lane == 0)
            {
                Store(y, bias, shape, row, da);
                if (paired)
                {
                    Store(y, bias, shape, other, db);
                }
            }
        }
    }

    /// <summary>Four weights times xs[d .. d + 3]; a quad past the row (d ≥ K) contributes nothing.</summary>
    private static float QuadDot(ArrayView<float> xs, int d, ulong bits, int type)
    {
        // Quads past the row were loaded as zero, but xs beyond K holds stale values that could be NaN.
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
}
