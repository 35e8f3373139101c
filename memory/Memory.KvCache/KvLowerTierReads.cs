namespace Memory.KvCache;

/// <summary>
/// Where the time of this process's lower-tier prefix reads went (blocks read from disk or Redis a run at a time, so
/// that a codec batch decodes them together): reading the stored bytes, decoding them, and verifying and admitting
/// the blocks to host memory. Cumulative since start-up; a time-to-first-token from disk is roughly their sum plus
/// the import and the prefill of the rest.
/// </summary>
/// <param name="Runs">Runs read.</param>
/// <param name="Blocks">Blocks those runs decoded.</param>
/// <param name="Bytes">Stored bytes those runs read.</param>
/// <param name="ReadMs">Reading the stored bytes (all tiers).</param>
/// <param name="DecodeMs">Decoding the lookups waited for after their last byte was read (batches decode while later ones are read).</param>
/// <param name="AdoptMs">Verifying each block against the prompt and adding it to host memory (demotions included).</param>
/// <param name="DecodeWorkMs">Every codec batch's own time (envelopes, checksums, the codec), hidden behind reads or not.</param>
/// <param name="DecodePhasesMs">That work by <see cref="Codec.KvDecodePhase"/> (summed over batches, which may overlap).</param>
public sealed record KvLowerTierReads(long Runs, long Blocks, long Bytes, double ReadMs, double DecodeMs, double AdoptMs, double DecodeWorkMs, IReadOnlyDictionary<string, double> DecodePhasesMs);
