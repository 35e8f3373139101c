using ILGPU;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// Causal attention of each token's query heads over its sequence's paged key/value cache, with grouped-query heads
/// (query head h reads kv head h / (heads / kvHeads)). Token t attends to positions 0..positions[t] of its sequence,
/// whose blocks are listed at blockTable[tableOffsets[t]..] (with a sliding window, only the last Window of them). One group per (token, head) walks the keys a tile of
/// group-size keys at a time with an online softmax (running max and sum), so no score matrix is stored and any
/// context length fits. Keys and values are fp16 in layout [block, slot, kv head, head dim].
/// Long contexts are split (flash-decoding): with <c>splits</c> &gt; 1 each (token, head) gets that many groups, each
/// over its own range of <c>splitKeys</c> keys, writing an unnormalised partial output and its (max, sum) for
/// <see cref="Merge"/>; otherwise a decode step would keep only one group per head busy, a few SMs of a GPU.
/// </summary>
public static class PagedAttentionKernel
{
    /// <summary>
    /// The kernel (explicitly grouped; grid = tokens · heads · splits; headDim ≤ 4 · group size and ≤ 256). With one
    /// split the normalised result goes to <paramref name="output"/>; with more, group i = pair · splits + split writes
    /// its partial row to splitScratch[i · headDim ..] and its running max and sum to splitScratch[grid · headDim + 2i ..].
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
        int blockSize = shape.BlockSize;
        float scale = shape.Scale;
        int splitKeys = shape.SplitKeys;
        int splits = shape.Splits;
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var qs4 = SharedMemory.Allocate<Float4>(KernelLimits.MaxHeadDim / 4);
        var qs = qs4.Cast<float>();
        var ps = SharedMemory.Allocate<float>(KernelLimits.MaxGroupSize);
        int pair = Grid.IdxX / splits;
        int split = Grid.IdxX % splits;
        int statsBase = Grid.DimX * headDim;
        int token = pair / heads;
        int head = pair % heads;
        int kvHead = head / (heads / kvHeads);
        int kvDim = kvHeads * headDim;
        int tid = Group.IdxX;
        int g = Group.DimX;
        int qBase = (token * heads * headDim) + (head * headDim);
        for (int d = tid; d < headDim; d += g)
        {
            qs[d] = q[qBase + d] * scale;
        }

        Group.Barrier();
        // Keys [begin, count) of this split; the whole group leaves together when its range is empty.
        // A sliding window (Mistral's) drops the keys more than Window positions back; the splits cover what is left.
        int context = positions[token] + 1;
        int firstKey = shape.Window > 0 ? Math.Max(0, context - shape.Window) : 0;
        int begin = firstKey + (split * splitKeys);
        int count = Math.Min(context, splits == 1 ? int.MaxValue : begin + splitKeys);
        if (begin >= count)
        {
            if (tid == 0)
            {
                splitScratch[statsBase + (2 * Grid.IdxX)] = float.NegativeInfinity;
                splitScratch[statsBase + (2 * Grid.IdxX) + 1] = 0f;
            }

            return;
        }

        int tableOffset = tableOffsets[token];
        int headOffset = kvHead * headDim;
        // A key row starts on an 8-byte boundary when head and kv widths are multiples of four: then 8-byte loads.
        bool packedKeys = headDim % 4 == 0;
        // Values likewise: then each thread owns one quad of dimensions and a subset of the tile's keys, and the
        // subsets' partial sums meet in shared memory at the end (a key's value row is read by adjacent threads).
        int quadsPerKey = headDim / 4;
        bool packedValues = packedKeys && quadsPerKey <= g && g % quadsPerKey == 0;
        int subsets = packedValues ? g / quadsPerKey : 1;
        int subset = packedValues ? tid / quadsPerKey : 0;
        int quad = packedValues ? tid % quadsPerKey : 0;
        var v4 = vCache.Cast<ulong>();
        var partials = SharedMemory.Allocate<float>(KernelLimits.AttentionDimsPerThread * KernelLimits.MaxGroupSize);
        float m = float.NegativeInfinity;
        float l = 0f;
        float acc0 = 0f, acc1 = 0f, acc2 = 0f, acc3 = 0f;
        // A head narrower than half the group would leave most threads idle while values are summed: then `lanes`
        // threads share each dimension, each taking every lanes-th key of a tile, and are added up at the end.
        int lanes = headDim <= g / 2 ? g / headDim : 1;
        int lane = lanes > 1 ? tid / headDim : 0;
        int d0 = lanes == 1 ? tid : (lane < lanes ? tid % headDim : headDim);
        int d1 = d0 + g, d2 = d0 + (2 * g), d3 = d0 + (3 * g);
        for (int tile = begin; tile < count; tile += g)
        {
            int j = tile + tid;
            float s = float.NegativeInfinity;
            if (j < count)
            {
                int slot = (blockTable[tableOffset + (j / blockSize)] * blockSize) + (j % blockSize);
                int kb = (slot * kvDim) + headOffset;
                s = headDim % 8 == 0 ? KeyDotOcts(qs4, kCache.Cast<Bits128>(), kb / 8, headDim / 8)
                    : packedKeys ? KeyDotPacked(qs, kCache.Cast<ulong>(), kb / 4, headDim / 4) : KeyDot(qs, kCache, kb, headDim);
            }

            float mNew = MathF.Max(m, GroupReductions.Max(s, scratch));
            float p = j < count ? MathF.Exp(s - mNew) : 0f;
            ps[tid] = p;
            float tileSum = GroupReductions.Sum(p, scratch);
            float correction = MathF.Exp(m - mNew);
            l = (l * correction) + tileSum;
            acc0 *= correction;
            acc1 *= correction;
            acc2 *= correction;
            acc3 *= correction;
            int inTile = Math.Min(g, count - tile);
            if (packedValues)
            {
                // Eight of the subset's keys per pass, loaded before any is summed (a 128-key tile over eight subsets is
                // then two round trips to memory, not four).
                for (int jj = subset; jj < inTile; jj += 8 * subsets)
                {
                    var pass = ValuePass.Load(v4, ps, blockTable, tableOffset, tile, jj, subsets, inTile, blockSize, kvDim, headOffset, quad);
                    acc0 += pass.Sum(0);
                    acc1 += pass.Sum(1);
                    acc2 += pass.Sum(2);
                    acc3 += pass.Sum(3);
                }
            }
            else
            {
                // Four keys per pass, their values loaded before any is summed: otherwise every key costs a memory latency.
                for (int jj = lane; jj < inTile; jj += 4 * lanes)
                {
                    int j1 = jj + lanes, j2 = jj + (2 * lanes), j3 = jj + (3 * lanes);
                    int vb0 = ValueBase(blockTable, tableOffset, tile + jj, blockSize, kvDim, headOffset);
                    int vb1 = j1 < inTile ? ValueBase(blockTable, tableOffset, tile + j1, blockSize, kvDim, headOffset) : -1;
                    int vb2 = j2 < inTile ? ValueBase(blockTable, tableOffset, tile + j2, blockSize, kvDim, headOffset) : -1;
                    int vb3 = j3 < inTile ? ValueBase(blockTable, tableOffset, tile + j3, blockSize, kvDim, headOffset) : -1;
                    float p0 = ps[jj];
                    float p1 = vb1 >= 0 ? ps[j1] : 0f;
                    float p2 = vb2 >= 0 ? ps[j2] : 0f;
                    float p3 = vb3 >= 0 ? ps[j3] : 0f;
                    if (d0 < headDim)
                    {
                        acc0 += ValueSum(vCache, d0, vb0, vb1, vb2, vb3, p0, p1, p2, p3);
                    }

                    if (d1 < headDim)
                    {
                        acc1 += ValueSum(vCache, d1, vb0, vb1, vb2, vb3, p0, p1, p2, p3);
                    }

                    if (d2 < headDim)
                    {
                        acc2 += ValueSum(vCache, d2, vb0, vb1, vb2, vb3, p0, p1, p2, p3);
                    }

                    if (d3 < headDim)
                    {
                        acc3 += ValueSum(vCache, d3, vb0, vb1, vb2, vb3, p0, p1, p2, p3);
                    }
                }
            }

            m = mNew;
            Group.Barrier();
        }

        if (packedValues)
        {
            // The loop ended on a barrier; each thread then adds up its dimensions (tid, tid + g, ...) over the subsets.
            int pb = (subset * headDim) + (4 * quad);
            partials[pb] = acc0;
            partials[pb + 1] = acc1;
            partials[pb + 2] = acc2;
            partials[pb + 3] = acc3;
            Group.Barrier();
            d0 = tid;
            d1 = tid + g;
            d2 = tid + (2 * g);
            d3 = tid + (3 * g);
            acc0 = SubsetSum(partials, subsets, headDim, d0);
            acc1 = SubsetSum(partials, subsets, headDim, d1);
            acc2 = SubsetSum(partials, subsets, headDim, d2);
            acc3 = SubsetSum(partials, subsets, headDim, d3);
        }
        else if (lanes > 1)
        {
            // The loop ended on a barrier, so the tile's probabilities in ps are no longer needed.
            ps[tid] = acc0;
            Group.Barrier();
            if (lane == 0)
            {
                for (int r = 1; r < lanes; r++)
                {
                    acc0 += ps[(r * headDim) + tid];
                }
            }
            else
            {
                d0 = headDim;
            }
        }

        var target = output;
        int targetBase = qBase;
        float inverse = 1f / l;
        if (splits > 1)
        {
            target = splitScratch;
            targetBase = Grid.IdxX * headDim;
            inverse = 1f;
            if (tid == 0)
            {
                splitScratch[statsBase + (2 * Grid.IdxX)] = m;
                splitScratch[statsBase + (2 * Grid.IdxX) + 1] = l;
            }
        }

        if (d0 < headDim)
        {
            target[targetBase + d0] = acc0 * inverse;
        }

        if (d1 < headDim)
        {
            target[targetBase + d1] = acc1 * inverse;
        }

        if (d2 < headDim)
        {
            target[targetBase + d2] = acc2 * inverse;
        }

        if (d3 < headDim)
        {
            target[targetBase + d3] = acc3 * inverse;
        }
    }

    /// <summary>q · key over the staged (scaled) query, four independent sums so the key's loads overlap.</summary>
    private static float KeyDot(ArrayView<float> qs, ArrayView<Half> kCache, int kb, int headDim)
    {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int d = 0;
        for (; d + 3 < headDim; d += 4)
        {
            s0 += qs[d] * (float)kCache[kb + d];
            s1 += qs[d + 1] * (float)kCache[kb + d + 1];
            s2 += qs[d + 2] * (float)kCache[kb + d + 2];
            s3 += qs[d + 3] * (float)kCache[kb + d + 3];
        }

        for (; d < headDim; d++)
        {
            s0 += qs[d] * (float)kCache[kb + d];
        }

        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>
    /// The same over 16-byte loads of eight fp16 key elements, up to eight loads in flight (a head of 64 is one round
    /// trip to memory instead of four), the query read four floats at a time.
    /// </summary>
    private static float KeyDotOcts(ArrayView<Float4> qs4, ArrayView<Bits128> k16, int ko, int octs)
    {
        float s0 = 0f, s1 = 0f;
        for (int c = 0; c < octs; c += 8)
        {
            var e0 = k16[ko + c];
            var e1 = c + 1 < octs ? k16[ko + c + 1] : default;
            var e2 = c + 2 < octs ? k16[ko + c + 2] : default;
            var e3 = c + 3 < octs ? k16[ko + c + 3] : default;
            var e4 = c + 4 < octs ? k16[ko + c + 4] : default;
            var e5 = c + 5 < octs ? k16[ko + c + 5] : default;
            var e6 = c + 6 < octs ? k16[ko + c + 6] : default;
            var e7 = c + 7 < octs ? k16[ko + c + 7] : default;
            s0 += OctDot(qs4, c, e0, octs) + OctDot(qs4, c + 2, e2, octs) + OctDot(qs4, c + 4, e4, octs) + OctDot(qs4, c + 6, e6, octs);
            s1 += OctDot(qs4, c + 1, e1, octs) + OctDot(qs4, c + 3, e3, octs) + OctDot(qs4, c + 5, e5, octs) + OctDot(qs4, c + 7, e7, octs);
        }

        return s0 + s1;
    }

    private static float OctDot(ArrayView<Float4> qs4, int oct, Bits128 bits, int octs)
    {
        if (oct >= octs)
        {
            return 0f;
        }

        var lo = qs4[2 * oct];
        var hi = qs4[(2 * oct) + 1];
        return ((lo.X * HalfBits.ToFloat(bits.A)) + (lo.Y * HalfBits.ToFloat(bits.A >> 16)) + (lo.Z * HalfBits.ToFloat(bits.B)) + (lo.W * HalfBits.ToFloat(bits.B >> 16)))
            + ((hi.X * HalfBits.ToFloat(bits.C)) + (hi.Y * HalfBits.ToFloat(bits.C >> 16)) + (hi.Z * HalfBits.ToFloat(bits.D)) + (hi.W * HalfBits.ToFloat(bits.D >> 16)));
    }

    /// <summary>The same over 8-byte loads of four fp16 key elements, four loads in flight.</summary>
    private static float KeyDotPacked(ArrayView<float> qs, ArrayView<ulong> k4, int kq, int quads)
    {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int c = 0;
        for (; c + 3 < quads; c += 4)
        {
            ulong e0 = k4[kq + c], e1 = k4[kq + c + 1], e2 = k4[kq + c + 2], e3 = k4[kq + c + 3];
            s0 += QuadDot(qs, 4 * c, e0);
            s1 += QuadDot(qs, 4 * (c + 1), e1);
            s2 += QuadDot(qs, 4 * (c + 2), e2);
            s3 += QuadDot(qs, 4 * (c + 3), e3);
        }

        for (; c < quads; c++)
        {
            s0 += QuadDot(qs, 4 * c, k4[kq + c]);
        }

        return (s0 + s1) + (s2 + s3);
    }

    private static float QuadDot(ArrayView<float> qs, int d, ulong bits) =>
        (qs[d] * (float)Interop.IntAsFloat((ushort)bits))
        + (qs[d + 1] * (float)Interop.IntAsFloat((ushort)(bits >> 16)))
        + (qs[d + 2] * (float)Interop.IntAsFloat((ushort)(bits >> 32)))
        + (qs[d + 3] * (float)Interop.IntAsFloat((ushort)(bits >> 48)));

    private static float SubsetSum(ArrayView<float> partials, int subsets, int headDim, int d)
    {
        float sum = 0f;
        for (int r = 0; r < subsets && d < headDim; r++)
        {
            sum += partials[(r * headDim) + d];
        }

        return sum;
    }

    internal static int ValueBase(ArrayView<int> blockTable, int tableOffset, int position, int blockSize, int kvDim, int headOffset) =>
        (((blockTable[tableOffset + (position / blockSize)] * blockSize) + (position % blockSize)) * kvDim) + headOffset;

    /// <summary>Σ p_i · v_i[d] over up to four keys (value bases below zero are absent).</summary>
    private static float ValueSum(ArrayView<Half> vCache, int d, int vb0, int vb1, int vb2, int vb3, float p0, float p1, float p2, float p3)
    {
        float v0 = (float)vCache[vb0 + d];
        float v1 = vb1 >= 0 ? (float)vCache[vb1 + d] : 0f;
        float v2 = vb2 >= 0 ? (float)vCache[vb2 + d] : 0f;
        float v3 = vb3 >= 0 ? (float)vCache[vb3 + d] : 0f;
        return ((p0 * v0) + (p1 * v1)) + ((p2 * v2) + (p3 * v3));
    }

    /// <summary>
    /// Combines the splits of <see cref="Run"/> (auto-grouped; one index per (token, head, d); the stats start at
    /// <paramref name="statsBase"/> = groups · headDim of the scratch): each partial row is
    /// weighted by exp(its max − the overall max), the sum divided by the likewise weighted sums; empty splits
    /// (max −∞) weigh nothing.
    /// </summary>
    public static void Merge(Index1D index, ArrayView<float> scratch, ArrayView<float> output, int headDim, int splits, int statsBase)
    {
        int pair = index / headDim;
        int d = index % headDim;
        int first = pair * splits;
        float max = float.NegativeInfinity;
        for (int s = 0; s < splits; s++)
        {
            max = MathF.Max(max, scratch[statsBase + (2 * (first + s))]);
        }

        float sum = 0f;
        float acc = 0f;
        for (int s = 0; s < splits; s++)
        {
            float m = scratch[statsBase + (2 * (first + s))];
            if (m != float.NegativeInfinity)
            {
                float weight = MathF.Exp(m - max);
                sum += scratch[statsBase + (2 * (first + s)) + 1] * weight;
                acc += scratch[((first + s) * headDim) + d] * weight;
            }
        }

        output[index] = acc / sum;
    }

    /// <summary>
    /// The same attention with one thread per (token, head) and no communication between threads (implicitly grouped,
    /// one index per pair; the output row doubles as the value accumulator). For ILGPU's CPU accelerator, where every
    /// group barrier and shuffle is a rendezvous of OS threads; on a GPU the grouped <see cref="Run"/> is the one to use.
    /// </summary>
    public static void RunPerThread(
        Index1D item,
        ArrayView<float> q,
        ArrayView<Half> kCache,
        ArrayView<Half> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> output,
        int heads,
        int kvHeads,
        int headDim,
        int blockSize,
        float scale,
        int window)
    {
        int token = item / heads;
        int head = item % heads;
        int kvHead = head / (heads / kvHeads);
        int kvDim = kvHeads * headDim;
        int qBase = (token * heads * headDim) + (head * headDim);
        int count = positions[token] + 1;
        int tableOffset = tableOffsets[token];
        int headOffset = kvHead * headDim;
        for (int d = 0; d < headDim; d++)
        {
            output[qBase + d] = 0f;
        }

        float m = float.NegativeInfinity;
        float l = 0f;
        for (int j = window > 0 ? Math.Max(0, count - window) : 0; j < count; j++)
        {
            int slot = (blockTable[tableOffset + (j / blockSize)] * blockSize) + (j % blockSize);
            int kb = (slot * kvDim) + headOffset;
            float s = 0f;
            for (int d = 0; d < headDim; d++)
            {
                s += q[qBase + d] * (float)kCache[kb + d];
            }

            s *= scale;
            if (s > m)
            {
                // A new maximum: rescale what was accumulated against the old one (rare after the first keys).
                float correction = MathF.Exp(m - s);
                l *= correction;
                for (int d = 0; d < headDim; d++)
                {
                    output[qBase + d] *= correction;
                }

                m = s;
            }

            float p = MathF.Exp(s - m);
            l += p;
            for (int d = 0; d < headDim; d++)
            {
                output[qBase + d] += p * (float)vCache[kb + d];
            }
        }

        float inverse = 1f / l;
        for (int d = 0; d < headDim; d++)
        {
            output[qBase + d] *= inverse;
        }
    }
}
