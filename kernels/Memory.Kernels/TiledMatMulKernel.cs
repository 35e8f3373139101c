using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// <see cref="MatMulKernel"/>'s product for many tokens (a prefill chunk), as a shared-memory tiled GEMM: a group
/// computes a <see cref="TileTokens"/> × <see cref="TileRows"/> block of y, staging <see cref="TileK"/>-wide slices
/// of x̂ and of W in shared memory so that each weight is read from memory once per 64 tokens instead of once per 4,
/// and each thread accumulates a 4 × 4 block of outputs in registers. The RMSNorm, when asked for, takes the
/// per-token inverse RMS that <see cref="RowInverseRmsKernel"/> wrote. Output segments and accumulation as in
/// <see cref="MatMulKernel"/>.
/// </summary>
public static class TiledMatMulKernel
{
    /// <summary>Tokens per group tile.</summary>
    public const int TileTokens = 64;

    /// <summary>Output rows per group tile.</summary>
    public const int TileRows = 64;

    /// <summary>Inner-dimension slice staged per step.</summary>
    public const int TileK = 32;

    /// <summary>Threads per group: 16 × 16, each owning 4 tokens × 4 rows.</summary>
    public const int GroupSize = 256;

    /// <summary>The kernel (explicitly grouped; grid = ⌈tokens / 64⌉ · ⌈n / 64⌉, group = <see cref="GroupSize"/>).</summary>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> inverseRms, ArrayView<float> y, MatMulShape shape)
    {
        // Slices are stored k-major with rows padded by one float: the staging writes (k varies across a warp) then
        // fall in distinct banks.
        var xs = SharedMemory.Allocate<float>(TileK * (TileTokens + 1));
        var ws = SharedMemory.Allocate<float>(TileK * (TileRows + 1));
        int k = shape.K;
        int n = shape.N;
        int tokens = shape.Tokens;
        int rowTiles = (n + TileRows - 1) / TileRows;
        int t0 = Grid.IdxX / rowTiles * TileTokens;
        int r0 = Grid.IdxX % rowTiles * TileRows;
        int tid = Group.IdxX;
        int tx = tid % 16;
        int ty = tid / 16;
        bool normed = shape.NormType != WeightType.None;
        int kk = tid % TileK;
        int lane = tid / TileK;
        var acc = default(OutputTile);
        for (int k0 = 0; k0 < k; k0 += TileK)
        {
            // Each thread stages 8 elements of each slice; neighbouring threads read neighbouring k (coalesced).
            int c = k0 + kk;
            float gain = normed && c < k ? WeightLoads.Load(norm, c, shape.NormType) : 1f;
            for (int i = 0; i < TileTokens / 8; i++)
            {
                int tt = lane + (8 * i);
                int t = t0 + tt;
                float v = t < tokens && c < k ? x[(t * k) + c] : 0f;
                xs[(kk * (TileTokens + 1)) + tt] = normed ? v * gain * (t < tokens ? inverseRms[t] : 0f) : v;
                int r = r0 + tt;
                ws[(kk * (TileRows + 1)) + tt] = r < n && c < k ? WeightLoads.Load(w, (r * k) + c, shape.WeightType) : 0f;
            }

            Group.Barrier();
            for (int j = 0; j < TileK; j++)
            {
                int xb = (j * (TileTokens + 1)) + (ty * 4);
                int wb = (j * (TileRows + 1)) + (tx * 4);
                acc = acc.Add(xs[xb], xs[xb + 1], xs[xb + 2], xs[xb + 3], ws[wb], ws[wb + 1], ws[wb + 2], ws[wb + 3]);
            }

            Group.Barrier();
        }

        acc.Store(y, bias, shape, t0 + (ty * 4), r0 + (tx * 4));
    }
}
