using Memory.KvCache;

namespace Memory.Server.Contracts.Kv;

/// <summary><c>GET /v1/kv/stats</c>: each tier's blocks, bytes and hit rate, the metadata totals, and this process's prefix reuse and where its lower-tier reads spent their time.</summary>
internal sealed record KvStatsResponse(int BlockSize, IReadOnlyList<KvTierItem> Tiers, KvMetadataItem Metadata, long Lookups, long BlocksReused, long CorruptBlocksDropped, KvLowerTierReadsItem LowerTierReads)
{
    public static KvStatsResponse From(KvCacheStats stats) => new(
        stats.BlockSize,
        stats.Tiers.Select(t => new KvTierItem(t.Tier, t.Status, t.Level, t.Blocks, t.Bytes, t.BudgetBytes, t.Hits, t.Misses, Math.Round(t.HitRate, 4), t.Detail)).ToArray(),
        new KvMetadataItem(stats.Metadata.Blocks, stats.Metadata.PinnedBlocks, stats.Metadata.RawBytes, stats.Metadata.StoredBytes, stats.Metadata.Hits),
        stats.Lookups,
        stats.BlocksReused,
        stats.CorruptBlocksDropped,
        new KvLowerTierReadsItem(stats.LowerTierReads.Runs, stats.LowerTierReads.Blocks, stats.LowerTierReads.Bytes, stats.LowerTierReads.ReadMs, stats.LowerTierReads.DecodeMs, stats.LowerTierReads.AdoptMs, stats.LowerTierReads.DecodeWorkMs, stats.LowerTierReads.DecodePhasesMs));
}
