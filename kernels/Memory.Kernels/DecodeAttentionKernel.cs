using ILGPU;
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
/// softmax (running max and sum) over its row of ps, and P·V runs from shared memory: a thread per (head, quad of
/// dimensions) unit — with key subsets as well when heads × quads is narrower than the group — rescaling its
/// accumulator by the tile's correction. The output is the same as the old kernel's: normalised with one split, and
/// with several, unnormalised rows and (max, sum) pairs in the scratch layout <see cref="PagedAttentionKernel.Merge"/>
/// reads (row ((token · heads) + head) · splits + split), so the merge launch is shared. Same cache layout
/// ([block, slot, kv head, head dim], fp16), block tables, causal positions and sliding window as the old kernel.
/// </summary>
/// <remarks>
/// Limits (<see cref="Supports"/>): at most <see cref="MaxQueryHeads"/> query heads per kv head, head dims that are a
/// multiple of 8 up to <see cref="MaxHeadDim"/>, and a layout (<see cref="SharedBytes"/>) within 48 KB; other shapes
/// take the old kernel. Any warp size and group size (a multiple of the warp size) work: the CPU accelerator's tests run
/// warps of 4 in groups of 32. Expected on a GPU, not measured (nothing here has run on one): a tile bound by about one
/// memory latency plus three barriers instead of several dependent latencies per query head, and a seventh of the
/// key/value traffic at G = 7. The price is fewer, busier groups: a batch-1 step at context 512 runs kv heads × splits
/// = 8 groups, and each does G times the old group's arithmetic, the P·V loop the longest part (at G = 7 and head dim
/// 64 a thread per unit walks all 128 keys of the tile, converting each value quad once per head). Whether the split
/// length (<see cref="DecoderKernels.AttentionSplitKeys"/>, tuned for the old kernel) should shrink to spread that
/// over more multiprocessors is for a GPU run to say.
/// </remarks>
public static class DecodeAttentionKernel
{
    /// <summary>Most query heads per kv head (one warp's softmax row and one accumulator unit each).</summary>
    public const int MaxQueryHeads = 8;

    /// <summary>Largest head dimension (a tile of 128-wide fp16 values is 32 KB of the 48 KB).</summary>
    public const int MaxHeadDim = 128;

    /// <summary>Shared memory a group may use without opting in to more.</summary>
    public const int MaxSharedBytes = 48 * 1024;

    /// <summary>Whether the kernel takes this shape with groups of <paramref name="groupSize"/> threads.</summary>
    public static bool Supports(int queryHeads, int headDim, int groupSize) =>
        queryHeads >= 1 && queryHeads <= MaxQueryHeads && headDim >= 8 && headDim % 8 == 0 && headDim <= MaxHeadDim
        && SharedBytes(queryHeads, headDim, groupSize) <= MaxSharedBytes;

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
    public static void Run(
        ArrayView<float> q,
        ArrayView<Half> kCache,
        ArrayView<Half> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> output,
        ArrayView<float> splitScratch,
        AttentionShape shape)
    {
        int heads = shape.Heads;
        int kvHeads = shape.KvHeads;
        int headDim = shape.HeadDim;
        int splits = shape.Splits;
        int queryHeads = heads / kvHeads;
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
        var values = shared.SubView(0, layout.QueriesAt).Cast<Bits128>();
        var queries = shared.SubView(layout.QueriesAt, layout.Items);
        var scores = shared.SubView(layout.ScoresAt, layout.SumsAt - layout.ScoresAt).Cast<float>();
        var sums = shared.SubView(layout.SumsAt, layout.Units);
        // Running max at [h], running sum at [heads + h], the tile's rescale factor at [2 · heads + h].
        var stats = shared.SubView(layout.StatsAt, layout.Length - layout.StatsAt).Cast<float>();
        var staged = queries.Cast<float>();
        // The group's query heads are adjacent in q: one contiguous run of queryHeads · headDim floats.
        int qBase = ((token * heads) + firstHead) * headDim;
        for (int i = tid; i < queryHeads * headDim; i += g)
        {
            staged[i] = q[qBase + i] * shape.Scale;
        }

        for (int u = tid; u < layout.Units; u += g)
        {
            sums[u] = default;
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
            for (int u = tid; u < layout.Units; u += g)
            {
                int item = u % layout.Items;
                int head = item / layout.Quads;
                var tileSum = ValueSum(values.Cast<ulong>(), scores, head * g, item % layout.Quads, layout.Quads, u / layout.Items, layout.Subsets, rows.Keys);
                float correction = stats[(2 * queryHeads) + head];
                var prior = sums[u];
                sums[u] = new Float4(
                    (prior.X * correction) + tileSum.X,
                    (prior.Y * correction) + tileSum.Y,
                    (prior.Z * correction) + tileSum.Z,
                    (prior.W * correction) + tileSum.W);
            }

            Group.Barrier();
        }

        // The loop ended on a barrier: accumulators and stats are final. Unit u = subset · items + item.
        for (int item = tid; item < layout.Items; item += g)
        {
            var total = sums[item];
            for (int s = 1; s < layout.Subsets; s++)
            {
                var part = sums[(s * layout.Items) + item];
                total = new Float4(total.X + part.X, total.Y + part.Y, total.Z + part.Z, total.W + part.W);
            }

            int head = item / layout.Quads;
            int d = 4 * (item % layout.Quads);
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
    /// Σ p_j · v_j over a quad of one head's dimensions for the tile's keys subset, subset + subsets, … below
    /// <paramref name="keys"/>, from the staged values (one 8-byte shared load per key); four keys per pass, loaded
    /// before any is summed.
    /// </summary>
    private static Float4 ValueSum(ArrayView<ulong> values, ArrayView<float> scores, int row, int quad, int quads, int subset, int subsets, int keys)
    {
        float x = 0f, y = 0f, z = 0f, w = 0f;
        for (int j0 = subset; j0 < keys; j0 += 4 * subsets)
        {
            // Keys past the tile read the last one's (in range) and weigh nothing: no branch between the loads.
            int last = keys - 1;
            int j1 = j0 + subsets, j2 = j1 + subsets, j3 = j2 + subsets;
            int k1 = Math.Min(j1, last), k2 = Math.Min(j2, last), k3 = Math.Min(j3, last);
            ulong e0 = values[(j0 * quads) + quad];
            ulong e1 = values[(k1 * quads) + quad];
            ulong e2 = values[(k2 * quads) + quad];
            ulong e3 = values[(k3 * quads) + quad];
            float s0 = scores[row + j0], s1 = scores[row + k1], s2 = scores[row + k2], s3 = scores[row + k3];
            float p0 = s0;
            float p1 = j1 <= last ? s1 : 0f;
            float p2 = j2 <= last ? s2 : 0f;
            float p3 = j3 <= last ? s3 : 0f;
            x += ((p0 * Element(e0, 0)) + (p1 * Element(e1, 0))) + ((p2 * Element(e2, 0)) + (p3 * Element(e3, 0)));
            y += ((p0 * Element(e0, 1)) + (p1 * Element(e1, 1))) + ((p2 * Element(e2, 1)) + (p3 * Element(e3, 1)));
            z += ((p0 * Element(e0, 2)) + (p1 * Element(e1, 2))) + ((p2 * Element(e2, 2)) + (p3 * Element(e3, 2)));
            w += ((p0 * Element(e0, 3)) + (p1 * Element(e1, 3))) + ((p2 * Element(e2, 3)) + (p3 * Element(e3, 3)));
        }

        return new Float4(x, y, z, w);
    }

    private static float Element(ulong bits, int component) => (float)Interop.IntAsFloat((ushort)(bits >> (16 * component)));
}
