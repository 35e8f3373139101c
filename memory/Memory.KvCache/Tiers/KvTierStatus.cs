namespace Memory.KvCache.Tiers;

/// <summary>Availability words used in <see cref="KvTierStats.Status"/>.</summary>
public static class KvTierStatus
{
    public const string Up = "up";
    public const string Down = "down";
    public const string Disabled = "disabled";
}
