using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// <see cref="MatMulKernel"/>'s product for a few tokens (a decode step of 2 to <see cref="MaxTokens"/> sequences, or as
/// many rows of logits): <see cref="GemvKernel"/>'s design with each weight load multiplied by a tile of tokens, so a
/// batch reads the weights about once instead of once per four tokens. The grid is (row group × K slice × token tile),
/// tile fastest: the tiles of one row group and slice run side by side and read the same weights, all but the first
/// from L2 (the LM head's 272 MB is read from DRAM once, not once per tile). A group stages x̂ of its tile's tokens for
/// its slice of K (a warp per token; x, x · gain with the RMSNorm's 1/rms applied at the end, or silu(gate) · up) in
/// dynamic shared memory, each warp reads its row pair's slice once, sixteen bytes per lane and load, the first batch
/// requested before the staging, and multiplies every oct, widened once, with each token of the tile. The tile is a
/// compile-time constant (4 or 8): the sums are <see cref="TokenQuadSums"/> fields, one or two quads, held in registers
/// without a token loop. x̂ is staged with each oct's low quads in one half and high quads in the other, so the
/// 16-byte shared loads are free of bank conflicts, and the sums leave the warp by a reduce-scatter
/// (<see cref="TokenQuadSums.Fold"/>), 16 shuffles for a tile of eight. A partial last tile stages copies of its last
/// token and stores only its own. With several slices the last group of a (tile, row group) to arrive adds the partial
/// sums in slice order, as the single-token kernel does, so results do not depend on scheduling. Outputs go where
/// <see cref="MatMulKernel"/> puts them (stacked projections as separate [tokens, w] segments). Needs 16-bit weights
/// (and gain), K a multiple of eight, and x, the weight and the gain on 16-byte boundaries (whole buffers are).
/// <see cref="GemvKernel"/> stays the one-token kernel: generalising it this way cost batch 1 a fifth of its speed on
/// the H200 (a7780fc).
/// </summary>
public static class FewTokenGemvKernel
{
    /// <summary>Most tokens the launcher sends here (four tiles of eight).</summary>
    public const int MaxTokens = 32;

    /// <summary>The widest token tile.</summary>
    public const int MaxTile = 2 * TokenQuadSums.Tokens;

    /// <summary>
    /// Most floats a group stages (tile · slice length): 32 KB, inside the 48 KB a launch may request without opting in,
    /// with room for seven groups per multiprocessor on an H200.
    /// </summary>
    public const int MaxStagedFloats = 8192;

    /// <summary>
    /// Groups of 128 threads per multiprocessor the kernel is compiled for at a tile of <paramref name="tile"/> (the
    /// launch bounds, which cap its registers): ptxas 11.8 for sm_90 gave the tile of 8 112 registers unbounded (4 groups
    /// of 128 per SM) and 96 bounded to 5, the tile of 4 86 and 80 bounded to 6, all without spills; one more group
    /// spilled both.
    /// </summary>
    public static int GroupsPerMultiprocessor(int tile) => tile > TokenQuadSums.Tokens ? 5 : 6;

    /// <summary>
    /// The kernel (explicitly grouped; grid = row groups × slices × token tiles, tile fastest; group size a multiple of the
    /// warp size; dynamic shared memory of <paramref name="tile"/> · <see cref="MatMulShape.SliceLength"/> / 4
    /// <see cref="Float4"/>s).
    /// </summary>
    /// <param name="partials">
    /// Slices · tokens · N floats, then row groups · slices · tokens more with a norm (unused with one slice).
    /// </param>
    /// <param name="arrivals">One zero count per (row group, token tile) (unused with one slice); left zero.</param>
    /// <param name="weightType">The weight's encoding as a compile-time constant (see <see cref="GemvKernel"/>).</param>
    /// <param name="tile">Tokens per tile, 4 or 8, a compile-time constant.</param>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, ArrayView<float> partials, ArrayView<int> arrivals, MatMulShape shape, SpecializedValue<int> weightType, SpecializedValue<int> tile)
    {
        var xs = SharedMemory.GetDynamic<Float4>();
        var squares = SharedMemory.Allocate<float>(MaxTile);
        var last = SharedMemory.Allocate<int>(1);
        int tileTokens = tile;
        int n = shape.N;
        int k = shape.K;
        int tokens = shape.Tokens;
        int sliceLength = shape.SliceLength;
        int slices = GemvKernel.Slices(k, sliceLength);
        int tiles = (tokens + tileTokens - 1) / tileTokens;
        int tokenTile = Grid.IdxX % tiles;
        int slice = (Grid.IdxX / tiles) % slices;
        int rowGroup = Grid.IdxX / (tiles * slices);
        int lanes = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        int rowsPerGroup = 2 * (Group.DimX / lanes);
        int row = (rowGroup * rowsPerGroup) + (2 * Warp.WarpIdx);
        int t0 = tokenTile * tileTokens;
        int valid = Math.Min(tileTokens, tokens - t0);
        int first = slice * sliceLength;
        int length = Math.Min(sliceLength, k - first);
        int octs = length / GemvKernel.Oct;
        int stride = sliceLength / 4;
        var w16 = w.Cast<Bits128>();
        int rowA = Math.Min(row, n - 1);
        int rowB = Math.Min(row + 1, n - 1);
        int baseA = (rowA * (k / GemvKernel.Oct)) + (first / GemvKernel.Oct);
        int baseB = (rowB * (k / GemvKernel.Oct)) + (first / GemvKernel.Oct);

        // The row pair's first loads do not depend on x̂: their DRAM latency overlaps the staging's.
        var batch = OctBatch.Load(w16, baseA, baseB, lane, octs, lanes);

        // A warp per token, its squares summed within the warp (no group reduction per token). Tokens past the end of a
        // partial tile stage the last token again: the products then need no test per token, and their sums go nowhere.
        for (int t = Warp.WarpIdx; t < tileTokens; t += Group.DimX / lanes)
        {
            int token = Math.Min(t0 + t, tokens - 1);
            float sum = SlicedGemv.Stage(x, norm, xs.SubView(t * stride, stride), shape, first, length, token, tokens, byWarp: true, half: stride / 2);
            sum = GroupReductions.WarpSum(sum);
            if (lane == 0)
            {
                squares[t] = sum;
            }
        }

        Group.Barrier();
        var low = default(TokenQuadSums);
        var high = default(TokenQuadSums);
        batch.DotTile(xs, lane, octs, lanes, weightType, stride, tileTokens, ref low, ref high);
        for (int o = lane + (OctBatch.Depth * lanes); o < octs; o += OctBatch.Depth * lanes)
        {
            OctBatch.Load(w16, baseA, baseB, o, octs, lanes).DotTile(xs, o, octs, lanes, weightType, stride, tileTokens, ref low, ref high);
        }

        // A reduce-scatter over the warp: each step keeps half the sums a lane holds (the slices add them in a fixed
        // order, so results are the same every launch); lanes that still hold several at the end (warps narrower than
        // the sums) or share one (wider) sort it out in Emit.
        int offset = lanes / 2;
        int held = TokenQuadSums.Tokens * 2;
        int index = 0;
        var sums = low;
        if (tileTokens > TokenQuadSums.Tokens)
        {
            bool upper = (lane & offset) != 0;
            sums = TokenQuadSums.Halve(low, high, upper, offset);
            index = upper ? held : 0;
            offset /= 2;
        }

        for (; offset > 0 && held > 1; offset /= 2)
        {
            bool upper = (lane & offset) != 0;
            sums = sums.Fold(held, upper, offset);
            held /= 2;
            index += upper ? held : 0;
        }

        // Lanes less than the last step's offset apart now hold the same sum: a butterfly adds theirs, one stores.
        int twins = Math.Max(1, 2 * offset);
        for (; offset > 0; offset /= 2)
        {
            sums = sums.PlusPartner(offset);
        }

        if (lane % twins == 0)
        {
            Emit(sums, held, index, y, bias, partials, squares, shape, slices, slice, t0, valid, row);
        }

        if (slices == 1)
        {
            return;
        }

        bool normed = shape.NormType != WeightType.None;
        int squaresAt = (slices * tokens * n) + (((rowGroup * slices) + slice) * tokens) + t0;
        if (normed && Group.IdxX < valid)
        {
            partials[squaresAt + Group.IdxX] = squares[Group.IdxX];
        }

        int counter = (rowGroup * tiles) + tokenTile;
        if (SlicedGemv.Arrive(arrivals, counter, slices, last) == 0)
        {
            return;
        }

        MemoryFence.DeviceLevel();
        for (int item = Group.IdxX; item < rowsPerGroup * valid; item += Group.DimX)
        {
            int target = (rowGroup * rowsPerGroup) + (item % rowsPerGroup);
            int token = t0 + (item / rowsPerGroup);
            if (target < n)
            {
                float dot = 0f, sum = 0f;
                for (int s = 0; s < slices; s++)
                {
                    dot += partials[(((s * tokens) + token) * n) + target];
                    if (normed)
                    {
                        sum += partials[(slices * tokens * n) + (((rowGroup * slices) + s) * tokens) + token];
                    }
                }

                Store(y, bias, shape, token, target, SlicedGemv.Scale(sum, shape) * dot);
            }
        }

        if (Group.IdxX == 0)
        {
            arrivals[counter] = 0;
        }
    }

    /// <summary>
    /// A lane's results after the reduce-scatter: its <paramref name="held"/> sums, the first of them the
    /// <paramref name="index"/>-th of the tile (eight per quad: row A's four tokens, then row B's); with one slice the
    /// outputs, with several this slice's partial sums.
    /// </summary>
    private static void Emit(TokenQuadSums sums, int held, int index, ArrayView<float> y, ArrayView<ushort> bias, ArrayView<float> partials, ArrayView<float> squares, MatMulShape shape, int slices, int slice, int t0, int valid, int row)
    {
        int n = shape.N;
        for (int j = 0; j < held; j++)
        {
            int at = index + j;
            int t = (at / (2 * TokenQuadSums.Tokens) * TokenQuadSums.Tokens) + (at % TokenQuadSums.Tokens);
            int target = row + (at / TokenQuadSums.Tokens % 2);
            if (t < valid && target < n)
            {
                int token = t0 + t;
                if (slices == 1)
                {
                    Store(y, bias, shape, token, target, SlicedGemv.Scale(squares[t], shape) * sums.Slot(j));
                }
                else
                {
                    partials[(((slice * shape.Tokens) + token) * n) + target] = sums.Slot(j);
                }
            }
        }
    }

    private static void Store(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int token, int row, float value)
    {
        if (shape.BiasType != WeightType.None)
        {
            value += WeightLoads.Load(bias, row, shape.BiasType);
        }

        MatMulKernel.Store(y, shape, token, row, value);
    }
}
