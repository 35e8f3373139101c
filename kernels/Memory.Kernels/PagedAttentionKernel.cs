using ILGPU;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// Causal attention of each token's query heads over its sequence's paged key/value cache, with grouped-query heads
/// (query head h reads kv head h / (heads / kvHeads)). Token t attends to positions 0..positions[t] of its sequence,
/// whose blocks are listed at blockTable[tableOffsets[t]..]. One group per (token, head) walks the keys a tile of
/// group-size keys at a time with an online softmax (running max and sum), so no score matrix is stored and any
/// context length fits. Keys and values are fp16 in layout [block, slot, kv head, head dim].
/// </summary>
public static class PagedAttentionKernel
{
    /// <summary>The kernel (explicitly grouped; grid = tokens · heads; headDim ≤ 4 · group size and ≤ 256).</summary>
    public static void Run(
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
        float scale)
    {
        var scratch = SharedMemory.Allocate<float>(GroupReductions.ScratchSize);
        var qs = SharedMemory.Allocate<float>(KernelLimits.MaxHeadDim);
        var ps = SharedMemory.Allocate<float>(KernelLimits.MaxGroupSize);
        int token = Grid.IdxX / heads;
        int head = Grid.IdxX % heads;
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
        int count = positions[token] + 1;
        int tableOffset = tableOffsets[token];
        int headOffset = kvHead * headDim;
        float m = float.NegativeInfinity;
        float l = 0f;
        float acc0 = 0f, acc1 = 0f, acc2 = 0f, acc3 = 0f;
        int d0 = tid, d1 = tid + g, d2 = tid + (2 * g), d3 = tid + (3 * g);
        for (int tile = 0; tile < count; tile += g)
        {
            int j = tile + tid;
            float s = float.NegativeInfinity;
            if (j < count)
            {
                int slot = (blockTable[tableOffset + (j / blockSize)] * blockSize) + (j % blockSize);
                int kb = (slot * kvDim) + headOffset;
                s = 0f;
                for (int d = 0; d < headDim; d++)
                {
                    s += qs[d] * (float)kCache[kb + d];
                }
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
            for (int jj = 0; jj < inTile; jj++)
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

        float inverse = 1f / l;
        if (d0 < headDim)
        {
            output[qBase + d0] = acc0 * inverse;
        }

        if (d1 < headDim)
        {
            output[qBase + d1] = acc1 * inverse;
        }

        if (d2 < headDim)
        {
            output[qBase + d2] = acc2 * inverse;
        }

        if (d3 < headDim)
        {
            output[qBase + d3] = acc3 * inverse;
        }
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
        float scale)
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
        for (int j = 0; j < count; j++)
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
