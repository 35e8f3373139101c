namespace Memory.KvCache.Codec;

/// <summary>
/// What a quantised section's front says (see <see cref="QuantizedPlaneCoder"/>), already checked: its grid step, lane
/// count, initial estimates, and where its packed predictors and lane streams lie (offsets from the section's start).
/// </summary>
internal sealed record QuantizedSectionLayout(float Step, int Lanes, int Predictors, int FirstEstimate, int Estimate, int[] LaneStarts, int[] LaneLengths);
