namespace Memory.Server.Contracts.Kv;

/// <summary>One tier: status (up, down, disabled), codec level, size against budget, hits and misses.</summary>
internal sealed record KvTierItem(string Tier, string Status, string Level, long Blocks, long Bytes, long BudgetBytes, long Hits, long Misses, double HitRate, string? Detail);
