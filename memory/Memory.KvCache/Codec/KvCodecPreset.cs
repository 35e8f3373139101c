namespace Memory.KvCache.Codec;

/// <summary>
/// How a tier stores blocks. <see cref="Lossless"/> keeps every fp16 bit (entropy coding only); the quantised presets
/// trade accuracy for size with more levels in early layers (errors there propagate through every later layer).
/// </summary>
public sealed record KvCodecPreset
{
    public static KvCodecPreset Lossless { get; } = new() { Name = "lossless", IsLossless = true };

    /// <summary>Close to lossless on the demo model (see docs/benchmarks.md, "KV cache").</summary>
    public static KvCodecPreset High { get; } = new() { Name = "high", GroupSize = 16, AnchorLevels = 127, EarlyLevels = 31, MiddleLevels = 15, LateLevels = 15 };

    /// <summary>The default lossy level: aimed at ≥5× smaller than fp16 at ≤1% perplexity increase.</summary>
    public static KvCodecPreset Balanced { get; } = new() { Name = "balanced", GroupSize = 16, AnchorLevels = 63, EarlyLevels = 15, MiddleLevels = 7, LateLevels = 5 };

    /// <summary>Smallest; for a remote tier where bandwidth matters most.</summary>
    public static KvCodecPreset Compact { get; } = new() { Name = "compact", GroupSize = 16, AnchorLevels = 31, EarlyLevels = 7, MiddleLevels = 3, LateLevels = 2 };

    public static IReadOnlyList<KvCodecPreset> All { get; } = [Lossless, High, Balanced, Compact];

    public required string Name { get; init; }

    public bool IsLossless { get; init; }

    /// <summary>Tokens per anchor group (1 = every token is an anchor).</summary>
    public int GroupSize { get; init; } = 16;

    /// <summary>Quantisation steps each side of zero for anchor tokens.</summary>
    public int AnchorLevels { get; init; } = 63;

    /// <summary>Steps each side of zero for deltas in the first third of the layers.</summary>
    public int EarlyLevels { get; init; } = 15;

    public int MiddleLevels { get; init; } = 7;

    public int LateLevels { get; init; } = 5;

    /// <summary>Finds a preset by name (case-insensitive).</summary>
    public static KvCodecPreset Parse(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown KV codec level '{name}'; known: {string.Join(", ", All.Select(p => p.Name))}");

    /// <summary>Delta levels of <paramref name="layer"/> of <paramref name="layers"/>.</summary>
    public int LevelsFor(int layer, int layers)
    {
        int third = layer * 3 / Math.Max(1, layers);
        return third switch
        {
            0 => EarlyLevels,
            1 => MiddleLevels,
            _ => LateLevels,
        };
    }

    public void Validate()
    {
        if (IsLossless)
        {
            return;
        }

        foreach (var (name, value) in new[] { ("AnchorLevels", AnchorLevels), ("EarlyLevels", EarlyLevels), ("MiddleLevels", MiddleLevels), ("LateLevels", LateLevels) })
        {
            if (value is < 1 or > 127)
            {
                throw new ArgumentException($"KV codec preset '{Name}': {name} must be 1..127, got {value}");
            }
        }

        if (GroupSize is < 1 or > 255)
        {
            throw new ArgumentException($"KV codec preset '{Name}': GroupSize must be 1..255, got {GroupSize}");
        }
    }
}
