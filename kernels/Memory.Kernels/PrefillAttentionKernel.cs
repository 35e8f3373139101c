using ILGPU;
using Half = ILGPU.Half;

namespace Memory.Kernels;

/// <summary>
/// Causal attention for a chunk of one sequence's consecutive tokens (a prefill), flash-attention style: one group
/// per (tile of <see cref="QueryTile"/> queries, head) walks the keys a tile at a time, staging each key and value
/// tile in shared memory once for all the tile's queries, with an online softmax per query. The decode-step kernel
/// (<see cref="PagedAttentionKernel"/>) reads every key once per query instead, which made an 8K-token prefill spend
/// most of its time in attention. Same cache layout, block table and sliding window as that kernel. Shared memory
/// (dynamic, <see cref="SharedFloats"/>): the queries, one key tile (rows padded by one float against bank
/// conflicts), one value tile, the tile's probabilities and the queries' output accumulators.
/// A chunk late in a long context has few query tiles but many keys: with <see cref="AttentionShape.Splits"/> &gt; 1
/// each (tile, head) is also split over key ranges of <see cref="AttentionShape.SplitKeys"/>, every split writes its
/// unnormalised output, max and sum to the scratch in <see cref="PagedAttentionKernel.Merge"/>'s layout, and Merge
/// combines them (a 256-token chunk after 16K cached tokens otherwise ran 224 groups, two per SM, for 16K keys each).
/// </summary>
public static class PrefillAttentionKernel
{
    /// <summary>Queries per group.</summary>
    public const int QueryTile = 16;

    /// <summary>Largest head dimension (the staged tiles must fit in 48 KB).</summary>
    public const int MaxHeadDim = 128;

    /// <summary>Keys per tile for a head dimension: the most (a multiple of 8, at most 64) whose tiles fit in 48 KB.</summary>
    public static int KeyTile(int headDim)
    {
        int keys = 64;
        while (keys > 8 && 4 * Floats(headDim, keys) > 48 * 1024)
        {
            keys -= 8;
        }

        return keys;
    }

    /// <summary>Dynamic shared floats a group needs.</summary>
    public static int SharedFloats(int headDim) => Floats(headDim, KeyTile(headDim));

    /// <summary>
    /// The kernel (explicitly grouped; grid = ⌈tokens / QueryTile⌉ · heads · splits, split fastest; group size a multiple
    /// of QueryTile whose share per query, group / QueryTile, is a power of two no wider than a warp and divides the key
    /// tile). One split writes <paramref name="output"/>; several write <paramref name="scratch"/> (tokens · heads ·
    /// splits rows of HeadDim, then their (max, sum) pairs), for <see cref="PagedAttentionKernel.Merge"/>.
    /// </summary>
    public static void Run(
        ArrayView<float> q,
        ArrayView<Half> kCache,
        ArrayView<Half> vCache,
        ArrayView<int> positions,
        ArrayView<int> tableOffsets,
        ArrayView<int> blockTable,
        ArrayView<float> output,
        ArrayView<float> scratch,
        int tokens,
        AttentionShape shape)
    {
        int heads = shape.Heads;
        int headDim = shape.HeadDim;
        int kvDim = shape.KvHeads * headDim;
        int keyTile = KeyTile(headDim);
        int splits = shape.Splits;
        var group = PrefillGroup.OfThisGroup(positions, tableOffsets, tokens, shape);
        int split = group.Split;
        int head = group.Head;
        int kvOffset = group.KvOffset;
        int t0 = group.FirstToken;
        int queries = group.Queries;
        int tid = Group.IdxX;
        int g = Group.DimX;
        int perQuery = g / QueryTile;
        int query = tid / perQuery;
        int sub = tid % perQuery;
        var shared = SharedMemory.GetDynamic<float>();
        var qs = shared.SubView(0, QueryTile * headDim);
        var ks = shared.SubView(QueryTile * headDim, keyTile * (headDim + 1));
        var vs = shared.SubView((QueryTile * headDim) + (keyTile * (headDim + 1)), keyTile * headDim);
        var ps = shared.SubView((QueryTile * headDim) + (keyTile * (headDim + 1)) + (keyTile * headDim), QueryTile * keyTile);
        var os = shared.SubView((QueryTile * headDim) + (keyTile * (headDim + 1)) + (keyTile * headDim) + (QueryTile * keyTile), QueryTile * headDim);
        for (int i = tid; i < QueryTile * headDim; i += g)
        {
            int qi = i / headDim;
            qs[i] = qi < queries ? q[((((t0 + qi) * heads) + head) * headDim) + (i % headDim)] * shape.Scale : 0f;
            os[i] = 0f;
        }

        bool active = query < queries;
        int position = active ? positions[t0 + query] : -1;
        int windowStart = shape.Window > 0 ? position - shape.Window + 1 : 0;
        int tableOffset = group.TableOffset;
        int firstKey = group.FirstKey;
        int lastKey = group.LastKey;
        float m = float.NegativeInfinity;
        float l = 0f;
        for (int start = firstKey; start <= lastKey; start += keyTile)
        {
            Group.Barrier();
            for (int i = tid; i < keyTile * headDim; i += g)
            {
                int j = i / headDim;
                int d = i % headDim;
                int key = start + j;
                float kv = 0f, vv = 0f;
                if (key <= lastKey)
                {
                    int slot = (blockTable[tableOffset + (key / shape.BlockSize)] * shape.BlockSize) + (key % shape.BlockSize);
                    kv = (float)kCache[(slot * kvDim) + kvOffset + d];
                    vv = (float)vCache[(slot * kvDim) + kvOffset + d];
                }

                ks[(j * (headDim + 1)) + d] = kv;
                vs[(j * headDim) + d] = vv;
            }

            Group.Barrier();
            float tileMax = float.NegativeInfinity;
            for (int j = sub; j < keyTile; j += perQuery)
            {
                int key = start + j;
                float s = float.NegativeInfinity;
                if (active && key <= position && key >= windowStart)
                {
                    s = 0f;
                    for (int d = 0; d < headDim; d++)
                    {
                        s += qs[(query * headDim) + d] * ks[(j * (headDim + 1)) + d];
                    }
                }

                ps[(query * keyTile) + j] = s;
                tileMax = MathF.Max(tileMax, s);
            }

            for (int offset = perQuery / 2; offset > 0; offset /= 2)
            {
                tileMax = MathF.Max(tileMax, Warp.ShuffleXor(tileMax, offset));
            }

            float mNew = MathF.Max(m, tileMax);
            // A query may see no key of this tile (the causal edge, or a window starting later): nothing changes.
            float correction = mNew == float.NegativeInfinity ? 1f : MathF.Exp(m - mNew);
            float tileSum = 0f;
            for (int j = sub; j < keyTile; j += perQuery)
            {
                float s = ps[(query * keyTile) + j];
                float p = s == float.NegativeInfinity ? 0f : MathF.Exp(s - mNew);
                ps[(query * keyTile) + j] = p;
                tileSum += p;
            }

            for (int offset = perQuery / 2; offset > 0; offset /= 2)
            {
                tileSum += Warp.ShuffleXor(tileSum, offset);
            }

            l = (l * correction) + tileSum;
            m = mNew;
            Group.Barrier();
            // This thread's output dimensions: sub, sub + perQuery, ...; the tile's probabilities and values are shared.
            for (int d = sub; d < headDim; d += perQuery)
            {
                float sum = 0f;
                for (int j = 0; j < keyTile; j++)
                {
                    sum += ps[(query * keyTile) + j] * vs[(j * headDim) + d];
                }

                os[(query * headDim) + d] = (os[(query * headDim) + d] * correction) + sum;
            }
        }

        if (active && splits == 1)
        {
            float inverse = 1f / l;
            int target = (((t0 + query) * heads) + head) * headDim;
            for (int d = sub; d < headDim; d += perQuery)
            {
                output[target + d] = os[(query * headDim) + d] * inverse;
            }
        }
        else if (active)
        {
            // A query that saw no key of this split (its keys all lie before the range) leaves max −∞: Merge skips it.
            int row = ((((t0 + query) * heads) + head) * splits) + split;
            for (int d = sub; d < headDim; d += perQuery)
            {
                scratch[(row * headDim) + d] = os[(query * headDim) + d];
            }

            if (sub == 0)
            {
                int stats = (tokens * heads * splits * headDim) + (2 * row);
                scratch[stats] = m;
                scratch[stats + 1] = l;
            }
        }
    }

    private static int Floats(int headDim, int keys) =>
        (QueryTile * headDim) + (keys * (headDim + 1)) + (keys * headDim) + (QueryTile * keys) + (QueryTile * headDim);
}
