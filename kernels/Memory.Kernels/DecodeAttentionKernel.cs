using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// The decode step's paged attention with one group per (token, kv head, split) serving all the query heads that share
/// the kv head, so each key and value row is read from global memory once per split instead of once per query head
/// (seven times for Qwen2.5-0.5B's grouped-query heads). <see cref="PagedAttentionKernel.Run"/> runs a group per query
/// head instead, and every one of its tiles is a chain of dependent round trips: keys, two group reductions, then the
/// values in one or two more loads. Here a tile of group-size keys costs one round trip to global memory after its
/// block-table lookups (two for heads over 64): each thread requests its key row (16-byte loads, eight fp16 each) and
/// its share of the value tile (coalesced 16-byte chunks, for shared memory) together, all loads issued before any is
/// used, then widens its key once and scores it against every query head of the group, the scaled queries read from
/// shared memory as broadcasts, into shared <c>ps[heads × tile]</c>. One warp per head then updates that head's online
/// softmax (running max and sum) over its row of ps, and P·V runs from shared memory: a thread per (quad of dimensions,
/// key subset) unit holds that quad's sums for all the heads in registers (<see cref="HeadQuadSums"/>), rescales them by
/// each head's correction, and widens each staged value quad once for all the heads; the subsets' sums meet in shared
/// memory at the end. (A thread per (head, quad) instead would load and convert every value quad once per head and
/// walk all of a tile's keys alone at G = 7.) The head count is a compile-time constant, so its loops and tests fold
/// away. The output is the same as the old kernel's: normalised with one split, and with several, unnormalised rows
/// and (max, sum) pairs in the scratch layout <see cref="PagedAttentionKernel.Merge"/> reads (row ((token · heads) +
/// head) · splits + split), so the merge launch is shared. Same cache layout ([block, slot, kv head, head dim], fp16),
/// block tables, causal positions and sliding window as the old kernel.
/// </summary>
/// <remarks>
/// Limits (<see cref="Supports"/>): at most <see cref="MaxQueryHeads"/> query heads per kv head, head dims that are a
/// multiple of 8 up to <see cref="MaxHeadDim"/> and at most four times the group size (a thread per quad of a head at
/// least), and a layout (<see cref="SharedBytes"/>) within 48 KB; other shapes
/// take the old kernel. Any warp size and group size (a multiple of the warp size) work: the CPU accelerator's tests run
/// warps of 4 in groups of 32. The design: a tile bound by about one memory latency plus three barriers instead of
/// several dependent latencies per query head, and a seventh of the key/value traffic at G = 7; the price is fewer,
/// busier groups (a batch-1 step at context 512 runs kv heads × splits = 8 groups, each doing G times the old group's
/// arithmetic). Measured on an H200 (docs/benchmarks.md, run-v, same-call A/B at the default 128 keys per split):
/// 1.20× the per-head kernel's decode rate at 8K batch 1, 1.82× at 8K batch 8, ~1.1× at 512; a sweep of 32 / 64 / 128
/// / 256 keys per split kept 128.
/// </remarks>
public static class DecodeAttentionKernel
{
    /// <summary>Most query heads per kv head (one softmax row each and a thread's sums for all of them in registers).</summary>
    public const int MaxQueryHeads = 8;

    /// <summary>Largest head dimension (a tile of 128-wide fp16 values is 32 KB of the 48 KB).</summary>
    public const int MaxHeadDim = 128;

    /// <summary>Shared memory a group may use without opting in to more.</summary>
    public const int MaxSharedBytes = 48 * 1024;

    /// <summary>Whether the kernel takes this shape with groups of <paramref name="groupSize"/> threads.</summary>
    public static bool Supports(int queryHeads, int headDim, int groupSize) =>
        queryHeads >= 1 && queryHeads <= MaxQueryHeads && queryHeads <= groupSize && headDim >= 8 && headDim % 8 == 0 && headDim <= MaxHeadDim
        && headDim / 4 <= groupSize && SharedBytes(queryHeads, headDim, groupSize) <= MaxSharedBytes;

    /// <summary>Dynamic shared memory of a group, in 16-byte units (<c>SharedMemoryConfig.RequestDynamic&lt;Float4&gt;</c>).</summary>
    public static int SharedChunks(int queryHeads, int headDim, int groupSize) => new DecodeAttentionLayout(queryHeads, headDim, groupSize).Length;

    /// <summary>Dynamic shared memory of a group in bytes.</summary>
    public static int SharedBytes(int queryHeads, int headDim, int groupSize) => 16 * SharedChunks(queryHeads, headDim, groupSize);

    /// <summary>
    /// The kernel (explicitly grouped; grid = tokens · kvHeads · splits, split fastest; tile = group size keys; dynamic
    /// shared memory of <see cref="SharedChunks"/> 16-byte units; kCache and vCache on 16-byte boundaries). With one split
    /// the normalised result goes to <paramref name="output"/> ([token, head, dim], like q); with more, query head h's
    /// partial row r = ((token · heads) + h) · splits + split goes to splitScratch[r · headDim ..] and its running max
    /// and sum to splitScratch[tokens · heads · splits · headDim + 2r ..].
    /// </summary>
    /// <param name="queryHeadsPerKvHead">Heads / kvHeads as a compile-time constant (one compiled kernel per model shape).</param>
    public static void Run(
        ArrayView<float> q,
        ArrayView<Half> kCache,
        ArrayView<Half> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> output,
        ArrayView<float> splitScratch,
        AttentionShape shape,
        SpecializedValue<int> queryHeadsPerKvHead)
    {
        int heads = shape.Heads;
        int kvHeads = shape.KvHeads;
        int headDim = shape.HeadDim;
        int splits = shape.Splits;
        int queryHeads = queryHeadsPerKvHead;
        int tid = Group.IdxX;
        int g = Group.DimX;
        int split = Grid.IdxX % splits;
        int pair = Grid.IdxX / splits;
        int token = pair / kvHeads;
        int kvHead = pair % kvHeads;
        int firstHead = kvHead * queryHeads;
        // Query head firstHead + h's split row is firstRow + h · splits.
        int firstRow = (((token * heads) + firstHead) * splits) + split;
        int statsBase = Grid.DimX * queryHeads * headDim;
        // The context, the block table and the queries do not depend on one another: all requested before any is used.
        int context = positions[token] + 1;
        int tableOffset = tableOffsets[token];
        var layout = new DecodeAttentionLayout(queryHeads, headDim, g);
        var shared = SharedMemory.GetDynamic<Float4>();
        // Running max at [h], running sum at [heads + h], the tile's rescale factor at [2 · heads + h].
        var stats = shared.SubView(0, layout.ValuesAt).Cast<float>();
        var values = shared.SubView(layout.ValuesAt, layout.QueriesAt - layout.ValuesAt).Cast<Bits128>();
        var queries = shared.SubView(layout.QueriesAt, layout.ScoresAt - layout.QueriesAt);
        var scores = shared.SubView(layout.ScoresAt, layout.Length - layout.ScoresAt).Cast<float>();
        var partials = shared.SubView(layout.ValuesAt, layout.Units * queryHeads);
        var staged = queries.Cast<float>();
        // The group's query heads are adjacent in q: one contiguous run of queryHeads · headDim floats.
        int qBase = ((token * heads) + firstHead) * headDim;
        for (int i = tid; i < queryHeads * headDim; i += g)
        {
            staged[i] = q[qBase + i] * shape.Scale;
        }

        if (tid < queryHeads)
        {
            stats[tid] = float.NegativeInfinity;
            stats[queryHeads + tid] = 0f;
        }

        // Keys [begin, count) of this split, as in the old kernel; the whole group leaves together when it is empty.
        int firstKey = shape.Window > 0 ? Math.Max(0, context - shape.Window) : 0;
        int begin = firstKey + (split * shape.SplitKeys);
        int count = Math.Min(context, splits == 1 ? int.MaxValue : begin + shape.SplitKeys);
        if (begin >= count)
        {
            if (tid < queryHeads)
            {
                splitScratch[statsBase + (2 * (firstRow + (tid * splits)))] = float.NegativeInfinity;
                splitScratch[statsBase + (2 * (firstRow + (tid * splits))) + 1] = 0f;
            }

            return;
        }

        Group.Barrier();
        int octs = headDim / 8;
        var k16 = kCache.Cast<Bits128>();
        var v16 = vCache.Cast<Bits128>();
        // Thread tid stages value chunks tid + p · g of a tile (pass p < octs; chunk n is oct n % octs of key n / octs),
        // consecutive threads on consecutive 16 bytes of a row; each pass moves on g / octs keys and g % octs octs.
        int keyStep = g / octs;
        int octStep = g % octs;
        // Thread tid is unit (subset, quad) of the value sums, with all the heads' sums for its quad in registers.
        int quad = tid % layout.Quads;
        int subset = tid / layout.Quads;
        bool owner = tid < layout.Units;
        var sums = default(HeadQuadSums);
        for (int tile = begin; tile < count; tile += g)
        {
            var rows = new TileRows(tableOffset, tile, Math.Min(g, count - tile), shape.BlockSize, kvHeads * headDim, kvHead * headDim);
            bool hasKey = tid < rows.Keys;
            // Threads past the tile's keys load the last key's row (cached, dropped): no branch before the loads.
            int keyOct = rows.FirstOct(blockTable, Math.Min(tid, rows.Keys - 1));
            for (int c = 0; c < octs; c += KvOctLoads.Depth)
            {
                int first = tid + (c * g);
                var key = KvOctLoads.LoadRow(k16, keyOct, c, octs);
                var value = KvOctLoads.LoadTile(v16, blockTable, rows, octs, first / octs, first % octs, keyStep, octStep);
                value.Store(values, first, g, c, octs);
                if (hasKey)
                {
                    var keyFloats = key.Widen();
                    for (int h = 0; h < queryHeads; h++)
                    {
                        // A head over 64 takes two batches: the second adds to the first's partial score.
                        int at = (h * g) + tid;
                        float prior = c == 0 ? 0f : scores[at];
                        scores[at] = prior + keyFloats.Dot(queries, h * layout.Quads, c, octs);
                    }
                }
            }

            Group.Barrier();
            UpdateSoftmax(scores, stats, queryHeads, g, rows.Keys);
            Group.Barrier();
            if (owner)
            {
                sums = AddTile(sums.Rescale(stats.SubView(2 * queryHeads, queryHeads), queryHeads), values.Cast<ulong>(), scores, g, quad, layout.Quads, subset, layout.Subsets, rows.Keys, queryHeads);
            }

            Group.Barrier();
        }

        // The loop ended on a barrier: the staged tile is free for the units' partial sums.
        if (owner)
        {
            sums.Store(partials, (subset * queryHeads * layout.Quads) + quad, layout.Quads, queryHeads);
        }

        Group.Barrier();
        for (int item = tid; item < queryHeads * layout.Quads; item += g)
        {
            int head = item / layout.Quads;
            int itemQuad = item % layout.Quads;
            var total = partials[(head * layout.Quads) + itemQuad];
            for (int s = 1; s < layout.Subsets; s++)
            {
                var part = partials[(((s * queryHeads) + head) * layout.Quads) + itemQuad];
                total = new Float4(total.X + part.X, total.Y + part.Y, total.Z + part.Z, total.W + part.W);
            }

            int d = 4 * itemQuad;
            var target = output;
            int at = qBase + (head * headDim) + d;
            float inverse = 1f / stats[queryHeads + head];
            if (splits > 1)
            {
                target = splitScratch;
                at = ((firstRow + (head * splits)) * headDim) + d;
                inverse = 1f;
            }

            target[at] = total.X * inverse;
            target[at + 1] = total.Y * inverse;
            target[at + 2] = total.Z * inverse;
            target[at + 3] = total.W * inverse;
        }

        if (splits > 1 && tid < queryHeads)
        {
            splitScratch[statsBase + (2 * (firstRow + (tid * splits)))] = stats[tid];
            splitScratch[statsBase + (2 * (firstRow + (tid * splits))) + 1] = stats[queryHeads + tid];
        }
    }

    /// <summary>
    /// One warp per query head (heads beyond the warps taken in turn): the tile's max over the head's scores, the
    /// scores replaced by exp(score − new max), the running sum rescaled and added to, and the rescale factor kept
    /// for the value sums. Lane 0 writes the stats after the warp's shuffles, which every lane's read of the old max precedes.
    /// </summary>
    private static void UpdateSoftmax(ArrayView<float> scores, ArrayView<float> stats, int queryHeads, int g, int keys)
    {
        int lanes = Warp.WarpSize;
        int lane = Warp.LaneIdx;
        for (int h = Warp.WarpIdx; h < queryHeads; h += g / lanes)
        {
            int row = h * g;
            float previous = stats[h];
            float tileMax = float.NegativeInfinity;
            for (int j = lane; j < keys; j += lanes)
            {
                tileMax = MathF.Max(tileMax, scores[row + j]);
            }

            // The tile's first key is always in range, so the new max is finite and exp(previous − max) is 0, not NaN.
            float max = MathF.Max(previous, GroupReductions.WarpMax(tileMax));
            float sum = 0f;
            for (int j = lane; j < keys; j += lanes)
            {
                float p = MathF.Exp(scores[row + j] - max);
                scores[row + j] = p;
                sum += p;
            }

            sum = GroupReductions.WarpSum(sum);
            if (lane == 0)
            {
                float correction = MathF.Exp(previous - max);
                stats[queryHeads + h] = (stats[queryHeads + h] * correction) + sum;
                stats[h] = max;
                stats[(2 * queryHeads) + h] = correction;
            }
        }
    }

    /// <summary>
    /// Adds Σ p_j · v_j to every head's sums of the thread's quad, over the tile's keys subset, subset + subsets, … below
    /// <paramref name="keys"/>: each staged value quad (one 8-byte shared load) widened once for all the heads; two
    /// keys per pass, loaded before either is summed.
    /// </summary>
    private static HeadQuadSums AddTile(HeadQuadSums sums, ArrayView<ulong> values, ArrayView<float> probabilities, int stride, int quad, int quads, int subset, int subsets, int keys, int heads)
    {
        for (int j0 = subset; j0 < keys; j0 += 2 * subsets)
        {
            // A key past the tile reads the last one (in range) and weighs nothing: no branch between the loads.
            int j1 = j0 + subsets;
            int k1 = Math.Min(j1, keys - 1);
            var v0 = HalfBits.Widen(values[(j0 * quads) + quad]);
            var v1 = HalfBits.Widen(values[(k1 * quads) + quad]);
            sums = sums.Add(probabilities, stride, j0, v0, 1f, heads).Add(probabilities, stride, k1, v1, j1 < keys ? 1f : 0f, heads);
        }

        return sums;
    }
}
