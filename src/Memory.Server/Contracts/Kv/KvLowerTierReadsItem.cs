namespace Memory.Server.Contracts.Kv;

/// <summary>Where this process's lower-tier prefix reads spent their time (cumulative): reading, decoding, admitting.</summary>
internal sealed record KvLowerTierReadsItem(long Runs, long Blocks, long Bytes, double ReadMs, double DecodeMs, double AdoptMs);
