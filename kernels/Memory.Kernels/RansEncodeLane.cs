namespace Memory.Kernels;

/// <summary>
/// One rANS lane of a quantised KV section for <see cref="RansLaneEncodeKernel"/>: which residual records it codes and
/// where its stream may go. Offsets are absolute: <paramref name="Records"/> indexes the batch's record buffer (the
/// first element of the lane's [tokens, channels] slice), <paramref name="Output"/> the batch's lane output buffer.
/// </summary>
/// <param name="Records">First record of the section's slice.</param>
/// <param name="Slice">The slice's index (its initial estimates are at 2 · Slice and 2 · Slice + 1).</param>
/// <param name="Tokens">Tokens of the slice.</param>
/// <param name="Channels">Channels of the slice.</param>
/// <param name="Lane">This lane: it codes channels Lane, Lane + Lanes, …</param>
/// <param name="Lanes">Lanes of the section.</param>
/// <param name="Output">First byte of the lane's output region; the stream ends at Output + Capacity.</param>
/// <param name="Capacity">Bytes of the region: the lane fails with <see cref="RansLaneEncodeKernel.Overflow"/> rather than write below it.</param>
public readonly record struct RansEncodeLane(long Records, int Slice, int Tokens, int Channels, int Lane, int Lanes, long Output, int Capacity);
