namespace Memory.Server.Contracts.Kv;

/// <summary>
/// Where this process's lower-tier prefix reads spent their time (cumulative): reading, the decoding they waited for,
/// admitting; and the decode work itself (some of it hidden behind reads) by phase.
/// </summary>
internal sealed record KvLowerTierReadsItem(long Runs, long Blocks, long Bytes, double ReadMs, double DecodeMs, double AdoptMs, double DecodeWorkMs, IReadOnlyDictionary<string, double> DecodePhasesMs);
