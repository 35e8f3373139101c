namespace Memory.KvCache.Tiers;

/// <summary>One tier's state for GET /v1/kv/stats: blocks and bytes held, lookups that hit and missed, availability.</summary>
public sealed record KvTierStats(string Tier, string Status, string Level, long Blocks, long Bytes, long BudgetBytes, long Hits, long Misses, string? Detail = null)
{
    public double HitRate => Hits + Misses == 0 ? 0 : Hits / (double)(Hits + Misses);
}
