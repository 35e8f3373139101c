namespace Memory.Kernels;

/// <summary>
/// How <see cref="DecodeAttentionKernel"/> divides its value sums and its dynamic shared memory, for one (query heads per
/// kv head, head dim, group size): the host sizes the launch with it and the kernel finds its parts with it, so the two
/// cannot disagree. Offsets are in 16-byte units, so every part starts where <c>ld.shared.v4</c> may read it. The
/// per-head stats come first; the value tile, queries and scores follow and, once the last tile is summed, the units'
/// partial sums take their place.
/// </summary>
internal readonly struct DecodeAttentionLayout
{
    public DecodeAttentionLayout(int queryHeads, int headDim, int groupSize)
    {
        Quads = headDim / 4;
        // A unit is a quad of dimensions for all the heads over a subset of the tile's keys: the group's threads are
        // dealt out over as many key subsets as the quads leave room for, added up once at the end.
        Subsets = Math.Max(1, groupSize / Quads);
        Units = Quads * Subsets;
        ValuesAt = ((3 * queryHeads) + 3) / 4;
        QueriesAt = ValuesAt + (groupSize * (headDim / 8));
        ScoresAt = QueriesAt + (queryHeads * Quads);
        int staged = ScoresAt + (((queryHeads * groupSize) + 3) / 4);
        Length = Math.Max(staged, ValuesAt + (Units * queryHeads));
    }

    /// <summary>Quads of dimensions per head.</summary>
    public int Quads { get; }

    /// <summary>Key subsets each quad's value sums are split over.</summary>
    public int Subsets { get; }

    /// <summary>(quad, subset) units, each with one thread: unit u = subset · quads + quad.</summary>
    public int Units { get; }

    /// <summary>
    /// The value tile, fp16 as loaded (group size keys × head dim / 8 chunks of 16 bytes), after the stats at offset 0
    /// (per query head its running max, running sum and the current tile's rescale factor); after the last tile, the
    /// units' partial sums from here, head h of unit (subset, quad) at (subset · heads + h) · quads + quad.
    /// </summary>
    public int ValuesAt { get; }

    /// <summary>The scaled queries, head after head.</summary>
    public int QueriesAt { get; }

    /// <summary>The scores, then probabilities, of the tile: query heads × group size floats.</summary>
    public int ScoresAt { get; }

    /// <summary>The whole, in 16-byte units.</summary>
    public int Length { get; }
}
