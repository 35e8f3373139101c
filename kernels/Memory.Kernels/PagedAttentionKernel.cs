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
        var qs = SharedMemory.Allocate<float>(KernelLimits.MaxHeadDim);
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
                // Four independent sums: the key's loads can be in flight together instead of one per dependent add.
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

                s = (s0 + s1) + (s2 + s3);
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
            for (int jj = lane; jj < inTile; jj += lanes)
            {
                int position = tile + jj;
                int slot = (blockTable[tableOffset + (position / blockSize)] * blockSize) + (position % blockSize);
                int vb = (slot * kvDim) + headOffset;
                float pj = ps[jj];
                if (d0 < headDim)
                {
                    acc0 += pj * (float)vCache[vb + d0];
                }

                if (d1 < headDim)
                {
                    acc1 += pj * (float)vCache[vb + d1];
                }

                if (d2 < headDim)
                {
                    acc2 += pj * (float)vCache[vb + d2];
                }

                if (d3 < headDim)
                {
                    acc3 += pj * (float)vCache[vb + d3];
                }
            }

            m = mNew;
            Group.Barrier();
        }

        if (lanes > 1)
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
