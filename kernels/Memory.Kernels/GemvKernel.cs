using ILGPU;
using ILGPU.Runtime;

namespace Memory.Kernels;

/// <summary>
/// <see cref="MatMulKernel"/>'s product for a single token (a batch-1 decode step, or one row of logits), which is
/// all weight traffic. The grid is (row group × K slice): a group stages x̂ for its slice of K only (x; x · gain, the
/// RMSNorm's 1/rms factor applied at the end; or silu(gate) · up, the SwiGLU activation folded in) in dynamic shared
/// memory, then each warp takes two weight rows and reads them sixteen bytes (eight weights) per lane and load,
/// requesting a row pair's first loads before x̂ is staged. With one slice a warp writes its rows; with several every
/// group writes its partial sums and the last group of a row group to arrive (an atomic count per row group) adds
/// them up in slice order — so results do not depend on scheduling — applies the norm, bias and accumulation, and
/// resets the count for the next launch. Slicing K keeps every group's staging short (a long K, like the down
/// projection's, was staged whole by every group before, at a cost above its share of the weights) and gives few-row
/// products enough groups to fill the GPU. Needs 16-bit weights (and gain), K a multiple of eight, and x, the weight
/// and the gain on 16-byte boundaries (whole buffers are).
/// </summary>
public static class GemvKernel
{
    /// <summary>Weights per 16-byte load.</summary>
    public const int Oct = 8;

    /// <summary>
    /// The kernel (explicitly grouped; grid = row groups × slices, slice fastest; group size a multiple of the warp size;
    /// dynamic shared memory of <see cref="MatMulShape.SliceLength"/> / 4 <see cref="Float4"/>s).
    /// </summary>
    /// <param name="partials">Slices · N floats, then row groups · slices more with a norm (unused with one slice).</param>
    /// <param name="arrivals">One zero count per row group (unused with one slice); left zero.</param>
    /// <param name="weightType">
    /// The weight's encoding as a compile-time constant (one compiled kernel per encoding): the widening is then a
    /// single shift or conversion per weight, without a test of the type.
    /// </param>
    public static void Run(ArrayView<float> x, ArrayView<ushort> w, ArrayView<ushort> bias, ArrayView<ushort> norm, ArrayView<float> y, ArrayView<float> partials, ArrayView<int> arrivals, MatMulShape shape, SpecializedValue<int> weightType)
    {
        var xs = SharedMemory.GetDynamic<Float4>();
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var last = SharedMemory.Allocate<int>(1);
        int n = shape.N;
        int k = shape.K;
        int sliceLength = shape.SliceLength;
        int slices = (k + sliceLength - 1) / sliceLength;
        int slice = Grid.IdxX % slices;
        int rowGroup = Grid.IdxX / slices;
        int lanes = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        int rowsPerGroup = 2 * (Group.DimX / lanes);
        int row = (rowGroup * rowsPerGroup) + (2 * Warp.WarpIdx);
        int first = slice * sliceLength;
        int length = Math.Min(sliceLength, k - first);
        int octs = length / Oct;
        var w16 = w.Cast<Bits128>();
        int rowA = Math.Min(row, n - 1);
        int rowB = Math.Min(row + 1, n - 1);
        int baseA = (rowA * (k / Oct)) + (first / Oct);
        int baseB = (rowB * (k / Oct)) + (first / Oct);

        // The row pair's first loads do not depend on x̂: their DRAM latency overlaps the staging's.
        var batch = OctBatch.Load(w16, baseA, baseB, lane, octs, lanes);
        float squares = SlicedGemv.Stage(x, norm, xs, shape, first, length, 0, 1, byWarp: false, half: 0);
        float total = shape.NormType != WeightType.None ? GroupReductions.Sum(squares, scratch) : 0f;
        Group.Barrier();

        // A slice of the default length is one batch on a 32-lane warp; longer ones (and the CPU accelerator's 4-lane
        // warps) load each further batch as they reach it. Not double-buffered: a second batch in flight took 94
        // registers a thread, leaving the big products short of co-resident groups (1.8 waves for gate/up on an H200).
        float da = 0f, db = 0f;
        batch.Dot(xs, lane, octs, lanes, weightType, ref da, ref db);
        for (int o = lane + (OctBatch.Depth * lanes); o < octs; o += OctBatch.Depth * lanes)
        {
            OctBatch.Load(w16, baseA, baseB, o, octs, lanes).Dot(xs, o, octs, lanes, weightType, ref da, ref db);
        }

        da = GroupReductions.WarpSum(da);
        db = GroupReductions.WarpSum(db);
        if (slices == 1)
        {
            if (lane == 0 && row < n)
            {
                float scale = SlicedGemv.Scale(total, shape);
                Store(y, bias, shape, row, scale * da);
                if (row + 1 < n)
                {
                    Store(y, bias, shape, row + 1, scale * db);
                }
            }

            return;
        }

        if (lane == 0 && row < n)
        {
            partials[(slice * n) + row] = da;
            if (row + 1 < n)
            {
                partials[(slice * n) + row + 1] = db;
            }
        }

        if (Group.IdxX == 0 && shape.NormType != WeightType.None)
        {
            partials[(slices * n) + (rowGroup * slices) + slice] = total;
        }

        if (SlicedGemv.Arrive(arrivals, rowGroup, slices, last) == 0)
        {
            return;
        }

        MemoryFence.DeviceLevel();
        float sum = 0f;
        if (shape.NormType != WeightType.None)
        {
            for (int s = 0; s < slices; s++)
            {
                sum += partials[(slices * n) + (rowGroup * slices) + s];
            }
        }

        float rowScale = SlicedGemv.Scale(sum, shape);
        for (int r = Group.IdxX; r < rowsPerGroup; r += Group.DimX)
        {
            int target = (rowGroup * rowsPerGroup) + r;
            if (target < n)
            {
                float dot = 0f;
                for (int s = 0; s < slices; s++)
                {
                    dot += partials[(s * n) + target];
                }

                Store(y, bias, shape, target, rowScale * dot);
            }
        }

        if (Group.IdxX == 0)
        {
            arrivals[rowGroup] = 0;
        }
    }

    /// <summary>The slices a K splits into at the given slice length (a multiple of <see cref="Oct"/>).</summary>
    public static int Slices(int k, int sliceLength) => (k + sliceLength - 1) / sliceLength;

    private static void Store(ArrayView<float> y, ArrayView<ushort> bias, MatMulShape shape, int row, float value)
    {
        if (shape.BiasType != WeightType.None)
        {
            value += WeightLoads.Load(bias, row, shape.BiasType);
        }

        y[row] = shape.Accumulate != 0 ? y[row] + value : value;
    }
}
