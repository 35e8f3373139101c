namespace Memory.Kernels;

/// <summary>
/// How <see cref="DecodeAttentionKernel"/> divides its work and its dynamic shared memory, for one (query heads per kv
/// head, head dim, group size): the host sizes the launch with it and the kernel finds its parts with it, so the two
/// cannot disagree. Offsets are in 16-byte units, so every part starts where <c>ld.shared.v4</c> may read it.
/// </summary>
internal readonly struct DecodeAttentionLayout
{
    public DecodeAttentionLayout(int queryHeads, int headDim, int groupSize)
    {
        Quads = headDim / 4;
        Items = queryHeads * Quads;
        // Narrow heads leave (head, quad) items for only part of the group: then each item's keys are dealt out over
        // subsets of threads, whose partial sums are added up once at the end.
        Subsets = Math.Max(1, groupSize / Items);
        Units = Items * Subsets;
        QueriesAt = groupSize * (headDim / 8);
        ScoresAt = QueriesAt + Items;
        SumsAt = ScoresAt + (((queryHeads * groupSize) + 3) / 4);
        StatsAt = SumsAt + Units;
        Length = StatsAt + (((3 * queryHeads) + 3) / 4);
    }

    /// <summary>Quads of dimensions per head.</summary>
    public int Quads { get; }

    /// <summary>(head, quad) pairs of the value sum: the group's query heads times <see cref="Quads"/>.</summary>
    public int Items { get; }

    /// <summary>Key subsets each item's value sum is split over.</summary>
    public int Subsets { get; }

    /// <summary>(item, subset) units, each with one thread and one <see cref="Float4"/> accumulator.</summary>
    public int Units { get; }

    /// <summary>The value tile, fp16 as loaded: group size keys × head dim / 8 chunks of 16 bytes, from offset 0.</summary>
    public int QueriesAt { get; }

    /// <summary>The scores, then probabilities, of the tile: query heads × group size floats.</summary>
    public int ScoresAt { get; }

    /// <summary>The units' accumulators.</summary>
    public int SumsAt { get; }

    /// <summary>Per query head its running max, running sum and the current tile's rescale factor (3 × heads floats).</summary>
    public int StatsAt { get; }

    /// <summary>The whole, in 16-byte units.</summary>
    public int Length { get; }
}
