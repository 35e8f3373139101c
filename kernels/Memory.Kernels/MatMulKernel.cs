using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// y[t, n] = (accumulate ? y[t, n] : 0) + bias[n] + Σ_k x̂[t, k] · W[n, k] with W in its checkpoint encoding (row-major
/// [N, K], the layout of a PyTorch Linear weight) and fp32 accumulation. x̂ is x, or with a norm gain g the RMSNorm
/// x / √(mean(x²) + ε) · g: a warp reads the whole of x's row for its dot product anyway, so it sums x² on the way and
/// scales at the end, and the norm costs no launch and no pass of its own.
/// The weight's rows may be stacked projections (Q, K and V; gate and up) written to separate output segments: segment
/// s of width w starting at weight row r0 goes to y[tokens · r0 + t · w + (n − r0)], i.e. each segment is a dense
/// [tokens, w] matrix following the previous one, as if the projections had been run one by one.
/// One warp computes one output row for a tile of four tokens, so a decode step (one token per sequence) is a GEMV
/// that reads each weight once per tile.
/// </summary>
public static class MatMulKernel
{
    /// <summary>Tokens one warp handles per weight-row pass.</summary>
    public const int TokenTile = 4;

    /// <summary>The kernel (explicitly grouped; any grid, group size a multiple of the warp size).</summary>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, MatMulShape shape)
    {
        int n = shape.N;
        int k = shape.K;
        int tokens = shape.Tokens;
        int warpsPerGroup = Group.DimX / Warp.WarpSize;
        int firstWarp = (Grid.IdxX * warpsPerGroup) + Warp.WarpIdx;
        int totalWarps = Grid.DimX * warpsPerGroup;
        int tiles = (tokens + TokenTile - 1) / TokenTile;
        int lane = Warp.LaneIdx;
        bool normed = shape.NormType != WeightType.None;
        var w4 = w.Cast<ulong>();
        var g4 = norm.Cast<ulong>();
        var x2 = x.Cast<ulong>();
        int quads = k / 4;
        int lanes = Warp.WarpSize;
        for (int item = firstWarp; item < n * tiles; item += totalWarps)
        {
            // Token-tile-major: neighbouring warps share x's tile (row-major measured slower for batches and prefill).
            int row = item % n;
            int t0 = item / n * TokenTile;
            int valid = Math.Min(TokenTile, tokens - t0);
            var sums = default(TokenTileSums);
            if (shape.PackedLoads != 0)
            {
                // 8-byte loads, several per lane before any is used: a decode step's projection is one token, so the time
                // is the weights' memory latency unless loads overlap. (Eight quads per lane measured slower on the
                // H200 than four: fewer warps fit.)
                int wq = row * quads;
                int stride = k / 2;
                for (int i = lane; i < quads; i += 4 * lanes)
                {
                    sums = sums.Add(WeightQuads.Load(w4, g4, wq, i, quads, lanes, normed), x2, t0 * stride, stride, valid, shape);
                }
            }
            else
            {
                for (int kk = lane; kk < k; kk += lanes)
                {
                    float gain = normed ? WeightLoads.Load(norm, kk, shape.NormType) : 1f;
                    sums = sums.Add(x, (t0 * k) + kk, k, valid, gain * WeightLoads.Load(w, (row * k) + kk, shape.WeightType));
                }
            }

            sums.StoreFromWarp(y, bias, shape, t0, row, valid);
        }
    }

    /// <summary>
    /// The same product with one thread per (row, token tile) and no communication between threads (implicitly
    /// grouped, one index per item). For ILGPU's CPU accelerator, where every warp shuffle is a barrier between OS
    /// threads: there this variant ran the decoder's reference tests several times faster; on a GPU the warp version
    /// coalesces its weight reads and is the one to use.
    /// </summary>
    public static void RunPerThread(Index1D item, ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, MatMulShape shape)
    {
        int n = shape.N;
        int k = shape.K;
        int row = item % n;
        int t0 = item / n * TokenTile;
        int valid = Math.Min(TokenTile, shape.Tokens - t0);
        bool normed = shape.NormType != WeightType.None;
        var sums = default(TokenTileSums);
        for (int kk = 0; kk < k; kk++)
        {
            float gain = normed ? WeightLoads.Load(norm, kk, shape.NormType) : 1f;
            sums = sums.Add(x, (t0 * k) + kk, k, valid, gain * WeightLoads.Load(w, (row * k) + kk, shape.WeightType));
        }

        sums.Store(y, bias, shape, t0, row, valid);
    }

    internal static void Store(ArrayView<float> y, MatMulShape shape, int token, int row, float value)
    {
        int start = row < shape.Segment1 ? 0 : (row < shape.Segment2 ? shape.Segment1 : shape.Segment2);
        int end = row < shape.Segment1 ? shape.Segment1 : (row < shape.Segment2 ? shape.Segment2 : shape.N);
        int index = (shape.Tokens * start) + (token * (end - start)) + (row - start);
        y[index] = shape.Accumulate != 0 ? y[index] + value : value;
    }
}
