using Memory.KvCache.Metadata;
using Memory.KvCache.Tiers;

namespace Memory.KvCache;

/// <summary>GET /v1/kv/stats: per tier, the metadata totals, and prefix lookups of this process.</summary>
public sealed record KvCacheStats(
    int BlockSize,
    IReadOnlyList<KvTierStats> Tiers,
    KvMetadataSummary Metadata,
    long Lookups,
    long BlocksReused,
    long CorruptBlocksDropped,
    KvLowerTierReads LowerTierReads);
