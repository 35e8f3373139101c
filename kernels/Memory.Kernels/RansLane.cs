namespace Memory.Kernels;

/// <summary>
/// Where one rANS lane of a quantised KV section lives and what it decodes to, for <see cref="RansLaneDecodeKernel"/>.
/// Offsets are absolute: <paramref name="Start"/> and <paramref name="Predictors"/> index the batch's byte buffer,
/// <paramref name="Output"/> the grid buffer (the first element of the lane's [tokens, channels] slice).
/// </summary>
/// <param name="Start">First byte of the lane's stream (its u32 state).</param>
/// <param name="Length">Bytes in the lane's stream.</param>
/// <param name="Predictors">First byte of the section's packed predictors (2 bits a channel, low bits first).</param>
/// <param name="Output">First grid element of the section's slice.</param>
/// <param name="Tokens">Tokens of the slice.</param>
/// <param name="Channels">Channels of the slice.</param>
/// <param name="Lane">This lane: it codes channels Lane, Lane + Lanes, …</param>
/// <param name="Lanes">Lanes of the section.</param>
/// <param name="FirstEstimate">The section's initial estimate for first tokens.</param>
/// <param name="Estimate">The section's initial estimate for the other tokens.</param>
public readonly record struct RansLane(long Start, int Length, long Predictors, long Output, int Tokens, int Channels, int Lane, int Lanes, int FirstEstimate, int Estimate);
