using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// y[t, n] = (accumulate ? y[t, n] : 0) + bias[n] + Σ_k x[t, k] · W[n, k] with W in its checkpoint encoding (row-major
/// [N, K], the layout of a PyTorch Linear weight) and fp32 accumulation. One warp computes one output row n for a tile of
/// four tokens, so a decode step (one token per sequence) is a GEMV that reads each weight once per tile.
/// </summary>
public static class MatMulKernel
{
    /// <summary>Tokens one warp handles per weight-row pass.</summary>
    public const int TokenTile = 4;

    /// <summary>The kernel (explicitly grouped; any grid, group size a multiple of the warp size).</summary>
    public static void Run(
        ArrayView<float> x,
        ArrayView<ushort> w,
        int wType,
        ArrayView<ushort> bias,
        int biasType,
        ArrayView<float> y,
        int tokens,
        int n,
        int k,
        int accumulate,
        int packedLoads)
    {
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int firstWarp = (Grid.IdxX * warpsPerGroup) + Warp.WarpIdx;
        int totalWarps = Grid.DimX * warpsPerGroup;
        int tiles = (tokens + TokenTile - 1) / TokenTile;
        int lane = Warp.LaneIdx;
        // 16-bit weights on rows of a multiple of four go through 8-byte loads, four per lane before any is used: a
        // decode step's projection is one token, so the time is the weights' memory latency unless loads overlap.
        bool packed = packedLoads != 0;
        var w4 = w.Cast<ulong>();
        var x2 = x.Cast<ulong>();
        int quads = k / 4;
        for (int item = firstWarp; item < n * tiles; item += totalWarps)
        {
            int row = item % n;
            int t0 = item / n * TokenTile;
            int valid = Math.Min(TokenTile, tokens - t0);
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            if (packed)
            {
                int wq = row * quads;
                int xq = t0 * (k / 2);
                int stride = k / 2;
                int lanes = Warp.WarpSize;
                for (int i = lane; i < quads; i += 4 * lanes)
                {
                    int i1 = i + lanes, i2 = i + (2 * lanes), i3 = i + (3 * lanes);
                    ulong q0 = w4[wq + i];
                    ulong q1 = i1 < quads ? w4[wq + i1] : 0UL;
                    ulong q2 = i2 < quads ? w4[wq + i2] : 0UL;
                    ulong q3 = i3 < quads ? w4[wq + i3] : 0UL;
                    a0 += Quads(x2, xq, i, quads, lanes, q0, q1, q2, q3, wType);
                    if (valid > 1)
                    {
                        a1 += Quads(x2, xq + stride, i, quads, lanes, q0, q1, q2, q3, wType);
                    }

                    if (valid > 2)
                    {
                        a2 += Quads(x2, xq + (2 * stride), i, quads, lanes, q0, q1, q2, q3, wType);
                    }

                    if (valid > 3)
                    {
                        a3 += Quads(x2, xq + (3 * stride), i, quads, lanes, q0, q1, q2, q3, wType);
                    }
                }
            }
            else
            {
                int wBase = row * k;
                int x0 = t0 * k;
                for (int kk = lane; kk < k; kk += Warp.WarpSize)
                {
                    float wv = WeightLoads.Load(w, wBase + kk, wType);
                    a0 += x[x0 + kk] * wv;
                    if (valid > 1)
                    {
                        a1 += x[x0 + k + kk] * wv;
                    }

                    if (valid > 2)
                    {
                        a2 += x[x0 + (2 * k) + kk] * wv;
                    }

                    if (valid > 3)
                    {
                        a3 += x[x0 + (3 * k) + kk] * wv;
                    }
                }
            }

            a0 = GroupReductions.WarpSum(a0);
            a1 = GroupReductions.WarpSum(a1);
            a2 = GroupReductions.WarpSum(a2);
            a3 = GroupReductions.WarpSum(a3);
            if (lane == 0)
            {
                float b = biasType == WeightType.None ? 0f : WeightLoads.Load(bias, row, biasType);
                Store(y, (t0 * n) + row, a0 + b, accumulate);
                if (valid > 1)
                {
                    Store(y, ((t0 + 1) * n) + row, a1 + b, accumulate);
                }

                if (valid > 2)
                {
                    Store(y, ((t0 + 2) * n) + row, a2 + b, accumulate);
                }

                if (valid > 3)
                {
                    Store(y, ((t0 + 3) * n) + row, a3 + b, accumulate);
                }
            }
        }
    }

    /// <summary>
    /// The same product with one thread per (row, token tile) and no communication between threads (implicitly
    /// grouped, one index per item). For ILGPU's CPU accelerator, where every warp shuffle is a barrier between OS
    /// threads: there this variant ran the decoder's reference tests several times faster; on a GPU the warp version
    /// coalesces its weight reads and is the one to use.
    /// </summary>
    public static void RunPerThread(
        Index1D item,
        ArrayView<float> x,
        ArrayView<ushort> w,
        int wType,
        ArrayView<ushort> bias,
        int biasType,
        ArrayView<float> y,
        int tokens,
        int n,
        int k,
        int accumulate)
    {
        int row = item % n;
        int t0 = item / n * TokenTile;
        int valid = Math.Min(TokenTile, tokens - t0);
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        int wBase = row * k;
        int x0 = t0 * k;
        for (int kk = 0; kk < k; kk++)
        {
            float wv = WeightLoads.Load(w, wBase + kk, wType);
            a0 += x[x0 + kk] * wv;
            if (valid > 1)
            {
                a1 += x[x0 + k + kk] * wv;
            }

            if (valid > 2)
            {
                a2 += x[x0 + (2 * k) + kk] * wv;
            }

            if (valid > 3)
            {
                a3 += x[x0 + (3 * k) + kk] * wv;
            }
        }

        float b = biasType == WeightType.None ? 0f : WeightLoads.Load(bias, row, biasType);
        Store(y, (t0 * n) + row, a0 + b, accumulate);
        if (valid > 1)
        {
            Store(y, ((t0 + 1) * n) + row, a1 + b, accumulate);
        }

        if (valid > 2)
        {
            Store(y, ((t0 + 2) * n) + row, a2 + b, accumulate);
        }

        if (valid > 3)
        {
            Store(y, ((t0 + 3) * n) + row, a3 + b, accumulate);
        }
    }

    /// <summary>
    /// Σ over the lane's up to four weight quads (i, i + lanes, ...; those past <paramref name="quads"/> skipped) of
    /// quad · x, with x read as float pairs from <paramref name="x2"/> starting at pair <paramref name="xPair"/>.
    /// </summary>
    private static float Quads(ArrayView<ulong> x2, int xPair, int i, int quads, int lanes, ulong q0, ulong q1, ulong q2, ulong q3, int type)
    {
        float sum = Quad(x2, xPair + (2 * i), q0, type);
        if (i + lanes < quads)
        {
            sum += Quad(x2, xPair + (2 * (i + lanes)), q1, type);
        }

        if (i + (2 * lanes) < quads)
        {
            sum += Quad(x2, xPair + (2 * (i + (2 * lanes))), q2, type);
        }

        if (i + (3 * lanes) < quads)
        {
            sum += Quad(x2, xPair + (2 * (i + (3 * lanes))), q3, type);
        }

        return sum;
    }

    /// <summary>Four 16-bit weights (little-endian in <paramref name="q"/>) times the four floats at pair <paramref name="pair"/>.</summary>
    private static float Quad(ArrayView<ulong> x2, int pair, ulong q, int type)
    {
        ulong xa = x2[pair];
        ulong xb = x2[pair + 1];
        return (Interop.IntAsFloat((uint)xa) * Widen((ushort)q, type))
            + (Interop.IntAsFloat((uint)(xa >> 32)) * Widen((ushort)(q >> 16), type))
            + (Interop.IntAsFloat((uint)xb) * Widen((ushort)(q >> 32), type))
            + (Interop.IntAsFloat((uint)(xb >> 32)) * Widen((ushort)(q >> 48), type));
    }

    private static float Widen(ushort bits, int type) =>
        type == WeightType.BFloat16 ? Interop.IntAsFloat((uint)bits << 16) : WeightLoads.HalfToFloat(bits);

    private static void Store(ArrayView<float> y, int index, float value, int accumulate)
    {
        y[index] = accumulate != 0 ? y[index] + value : value;
    }
}
