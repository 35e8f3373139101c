using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// <see cref="MatMulKernel"/>'s product for a few tokens (a decode step of up to <see cref="MaxTokens"/> sequences, or
/// rows of logits), which is all weight traffic. The grid is (token tile × row group × K slice): a group stages x̂ of
/// its tile's tokens (up to <see cref="TokenTile"/>) for its slice of K only (x; x · gain, the RMSNorm's 1/rms factor
/// applied at the end; or silu(gate) · up, the SwiGLU activation folded in) in dynamic shared memory, then each warp
/// takes two weight rows, reads its slice of them once, sixteen bytes (eight weights) per lane and load, all requested
/// before x̂ is staged, and multiplies them with every token of the tile — so eight sequences cost about one's weight
/// traffic. With one slice a warp writes its rows; with several every
/// group writes its partial sums and the last group of a row group to arrive (an atomic count per row group) adds
/// them up in slice order — so results do not depend on scheduling — applies the norm, bias and accumulation, and
/// resets the count for the next launch. Slicing K keeps every group's staging short (a long K, like the down
/// projection's, was staged whole by every group before, at a cost above its share of the weights) and gives few-row
/// products enough groups to fill the GPU. Needs 16-bit weights (and gain), K a multiple of eight, slices of at most
/// <see cref="MaxSliceLength"/> for the warp size, and x, the weight and the gain on 16-byte boundaries (whole buffers
/// are). Outputs go where <see cref="MatMulKernel"/> puts them (stacked projections as separate [tokens, w] segments).
/// </summary>
public static class GemvKernel
{
    /// <summary>Weights per 16-byte load.</summary>
    public const int Oct = 8;

    /// <summary>Tokens whose x̂ a group stages and multiplies with each weight load.</summary>
    public const int TokenTile = 8;

    /// <summary>Most tokens (four token tiles, the weights then read from L2 by all but one) the launcher sends here.</summary>
    public const int MaxTokens = 32;

    /// <summary>Loads of each row a lane makes (so 2 · 4 · 16 bytes per lane, all in flight at once).</summary>
    private const int Depth = 4;

    /// <summary>Longest slice on a warp of <paramref name="warpSize"/> lanes: one load batch per lane and row.</summary>
    public static int MaxSliceLength(int warpSize) => Depth * warpSize * Oct;

    /// <summary>The slices a K splits into at the given slice length (a multiple of <see cref="Oct"/>).</summary>
    public static int Slices(int k, int sliceLength) => (k + sliceLength - 1) / sliceLength;

    /// <summary>
    /// The kernel (explicitly grouped; grid = token tiles × row groups × slices, slice fastest; group size a multiple of
    /// the warp size; dynamic shared memory of min(tokens, <see cref="TokenTile"/>) · <see cref="MatMulShape.SliceLength"/>
    /// / 4 <see cref="Float4"/>s).
    /// </summary>
    /// <param name="partials">
    /// Slices · tokens · N floats, then row groups · slices · tokens more with a norm (unused with one slice).
    /// </param>
    /// <param name="arrivals">One zero count per (token tile, row group) (unused with one slice); left zero.</param>
    /// <param name="weightType">
    /// The weight's encoding as a compile-time constant (one compiled kernel per encoding): the widening is then a
    /// single shift or conversion per weight, without a test of the type.
    /// </param>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, ArrayView<float> partials, ArrayView<int> arrivals, MatMulShape shape, SpecializedValue<int> weightType)
    {
        var xs = SharedMemory.GetDynamic<Float4>();
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var squares = SharedMemory.Allocate<float>(TokenTile);
        var last = SharedMemory.Allocate<int>(1);
        int n = shape.N;
        int k = shape.K;
        int tokens = shape.Tokens;
        int sliceLength = shape.SliceLength;
        int slices = Slices(k, sliceLength);
        int lanes = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        int rowsPerGroup = 2 * (Group.DimX / lanes);
        int rowGroups = (n + rowsPerGroup - 1) / rowsPerGroup;
        int tile = Grid.IdxX / (rowGroups * slices);
        int slice = Grid.IdxX % slices;
        int rowGroup = (Grid.IdxX / slices) % rowGroups;
        int firstToken = tile * TokenTile;
        int tileTokens = Math.Min(TokenTile, tokens - firstToken);
        int row = (rowGroup * rowsPerGroup) + (2 * Warp.WarpIdx);
        int first = slice * sliceLength;
        int length = Math.Min(sliceLength, k - first);
        int octs = length / Oct;
        int stride = sliceLength / 4;
        int rowA = Math.Min(row, n - 1);
        int rowB = Math.Min(row + 1, n - 1);
        var w16 = w.Cast<Bits128>();

        // The row pair's loads do not depend on x̂: their DRAM latency overlaps the staging's. One batch covers the
        // lane's share of the slice (the launcher keeps slices within MaxSliceLength).
        var batch = OctBatch.Load(w16, (rowA * (k / Oct)) + (first / Oct), (rowB * (k / Oct)) + (first / Oct), lane, octs, lanes);
        bool normed = shape.NormType != WeightType.None;
        if (tileTokens == 1)
        {
            // One token: the whole group stages it (a batch-1 decode step's products are latency-bound).
            float sum = Stage(x, norm, xs, shape, firstToken, first, length, Group.IdxX, Group.DimX);
            float total = normed ? GroupReductions.Sum(sum, scratch) : 0f;
            if (Group.IdxX == 0)
            {
                squares[0] = total;
            }
        }
        else
        {
            // Several: a warp per token row, its squares summed within the warp (no group reduction per token).
            int warps = Group.DimX / lanes;
            for (int t = Warp.WarpIdx; t < tileTokens; t += warps)
            {
                float sum = Stage(x, norm, xs.SubView(t * stride, stride), shape, firstToken + t, first, length, lane, lanes);
                sum = GroupReductions.WarpSum(sum);
                if (lane == 0)
                {
                    squares[t] = sum;
                }
            }
        }

        Group.Barrier();
        for (int t = 0; t < tileTokens; t++)
        {
            float da = 0f, db = 0f;
            batch.Dot(xs.SubView(t * stride, stride), lane, octs, lanes, weightType, ref da, ref db);
            da = GroupReductions.WarpSum(da);
            db = GroupReductions.WarpSum(db);
            if (lane == 0 && row < n)
            {
                int token = firstToken + t;
                if (slices == 1)
                {
                    float scale = Scale(squares[t], shape);
                    Store(y, bias, shape, token, row, scale * da);
                    if (row + 1 < n)
                    {
                        Store(y, bias, shape, token, row + 1, scale * db);
                    }
                }
                else
                {
                    partials[(((slice * tokens) + token) * n) + row] = da;
                    if (row + 1 < n)
                    {
                        partials[(((slice * tokens) + token) * n) + row + 1] = db;
                    }
                }
            }
        }

        if (slices == 1)
        {
            return;
        }

        int squaresBase = (slices * tokens * n) + (((rowGroup * slices) + slice) * tokens);
        if (normed && Group.IdxX < tileTokens)
        {
            partials[squaresBase + firstToken + Group.IdxX] = squares[Group.IdxX];
        }

        // Partials visible device-wide before this group counts itself in (the classic threadfence reduction).
        int counter = (tile * rowGroups) + rowGroup;
        MemoryFence.DeviceLevel();
        Group.Barrier();
        if (Group.IdxX == 0)
        {
            last[0] = Atomic.Add(ref arrivals[counter], 1) == slices - 1 ? 1 : 0;
        }

        Group.Barrier();
        if (last[0] == 0)
        {
            return;
        }

        MemoryFence.DeviceLevel();
        for (int item = Group.IdxX; item < rowsPerGroup * tileTokens; item += Group.DimX)
        {
            int target = (rowGroup * rowsPerGroup) + (item % rowsPerGroup);
            int token = firstToken + (item / rowsPerGroup);
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

                Store(y, bias, shape, token, target, Scale(sum, shape) * dot);
            }
        }

        if (Group.IdxX == 0)
        {
            arrivals[counter] = 0;
        }
    }

    /// <summary>1/rms from the sum of squares over all of K with a norm; 1 without.</summary>
    private static float Scale(float squares, MatMulShape shape) =>
        shape.NormType != WeightType.None ? 1f / MathF.Sqrt((squares / shape.K) + shape.NormEps) : 1f;

    /// <summary>
    /// x̂ of one token's K elements [first, first + length) into shared memory, four at a time, by the threads
    /// <paramref name="thread"/>, + <paramref name="threads"/>, …, without the norm's 1/rms factor; returns this thread's
    /// share of Σx² over the slice (0 without a norm). No barrier: the caller's reduction or barrier follows.
    /// </summary>
    private static float Stage(ArrayView<float> x, ArrayView<ushort> norm, ArrayView<Float4> xs, MatMulShape shape, int token, int first, int length, int thread, int threads)
    {
        var x4 = x.Cast<Float4>();
        var g4 = norm.Cast<ulong>();
        bool gated = shape.GatedInput != 0;
        bool normed = shape.NormType != WeightType.None;
        int quads = length / 4;
        int offset = ((token * shape.K) + first) / 4;
        // Gated input: the tokens' gates [tokens, K], then their ups.
        int up = shape.Tokens * shape.K / 4;
        int gain = first / 4;
        float squares = 0f;
        for (int i = thread; i < quads; i += threads)
        {
            var v = x4[offset + i];
            if (gated)
            {
                var u = x4[up + offset + i];
                v = new Float4(SwiGluKernel.Gated(v.X, u.X), SwiGluKernel.Gated(v.Y, u.Y), SwiGluKernel.Gated(v.Z, u.Z), SwiGluKernel.Gated(v.W, u.W));
            }
            else if (normed)
            {
                ulong g = g4[gain + i];
                squares += ((v.X * v.X) + (v.Y * v.Y)) + ((v.Z * v.Z) + (v.W * v.W));
                int type = shape.NormType;
                v = new Float4(
                    v.X * WeightLoads.Widen((ushort)g, type),
                    v.Y * WeightLoads.Widen((ushort)(g >> 16), type),
                    v.Z * WeightLoads.Widen((ushort)(g >> 32), type),
                    v.W * WeightLoads.Widen((ushort)(g >> 48), type));
            }

            xs[i] = v;
        }

        return squares;
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
