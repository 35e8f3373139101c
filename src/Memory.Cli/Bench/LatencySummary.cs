using System.Text.Json.Serialization;

namespace Memory.Cli.Bench;

/// <summary>Latency percentiles in milliseconds over <see cref="Samples"/> calls.</summary>
public sealed record LatencySummary(
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("p50_ms")] double P50,
    [property: JsonPropertyName("p95_ms")] double P95,
    [property: JsonPropertyName("p99_ms")] double P99)
{
    public static LatencySummary From(IReadOnlyList<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        return new LatencySummary(
            milliseconds.Count,
            Math.Round(Percentiles.Of(milliseconds, 50), 3),
            Math.Round(Percentiles.Of(milliseconds, 95), 3),
            Math.Round(Percentiles.Of(milliseconds, 99), 3));
    }
}
