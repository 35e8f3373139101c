using ILGPU;

namespace Memory.Kernels;

/// <summary>
/// What one group of a prefill attention kernel works on (grid = query tiles · heads · splits, split fastest): its
/// head, its tile of queries (<see cref="PrefillAttentionKernel.QueryTile"/>, or the tensor-core kernel's 64) and the key range it walks — all keys the
/// tile's queries may see (from the first query's window start to the last query's position), or with splits one
/// <see cref="AttentionShape.SplitKeys"/> slice of that range.
/// </summary>
public readonly struct PrefillGroup
{
    private PrefillGroup(int split, int head, int firstToken, int queries, int kvOffset, int tableOffset, int firstKey, int lastKey)
    {
        Split = split;
        Head = head;
        FirstToken = firstToken;
        Queries = queries;
        KvOffset = kvOffset;
        TableOffset = tableOffset;
        FirstKey = firstKey;
        LastKey = lastKey;
    }

    public int Split { get; }

    public int Head { get; }

    /// <summary>The chunk index of the tile's first query.</summary>
    public int FirstToken { get; }

    /// <summary>Queries in the tile (the last tile may be partial).</summary>
    public int Queries { get; }

    /// <summary>Where the head's kv head starts in a cache row.</summary>
    public int KvOffset { get; }

    public int TableOffset { get; }

    public int FirstKey { get; }

    /// <summary>Inclusive; below <see cref="FirstKey"/> when the split has no keys.</summary>
    public int LastKey { get; }

    /// <summary>The calling group's work.</summary>
    public static PrefillGroup OfThisGroup(ArrayView<int> positions, ArrayView<int> tableOffsets, int tokens, AttentionShape shape) =>
        OfThisGroup(positions, tableOffsets, tokens, shape, PrefillAttentionKernel.QueryTile);

    /// <summary>The calling group's work when a group's tile holds <paramref name="queryTile"/> queries.</summary>
    public static PrefillGroup OfThisGroup(ArrayView<int> positions, ArrayView<int> tableOffsets, int tokens, AttentionShape shape, int queryTile)
    {
        int heads = shape.Heads;
        int splits = shape.Splits;
        int split = Grid.IdxX % splits;
        int tile = Grid.IdxX / splits / heads;
        int head = Grid.IdxX / splits % heads;
        int t0 = tile * queryTile;
        int queries = Math.Min(queryTile, tokens - t0);
        int firstKey = shape.Window > 0 ? Math.Max(0, positions[t0] - shape.Window + 1) : 0;
        int lastKey = positions[t0 + queries - 1];
        if (splits > 1)
        {
            // SplitKeys is a multiple of the key tile, so every split but the last walks whole tiles.
            firstKey += split * shape.SplitKeys;
            lastKey = Math.Min(lastKey, firstKey + shape.SplitKeys - 1);
        }

        return new PrefillGroup(split, head, t0, queries, head / (heads / shape.KvHeads) * shape.HeadDim, tableOffsets[t0], firstKey, lastKey);
    }
}
