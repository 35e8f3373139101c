using System.Text.Json.Serialization;

namespace Memory.Cli.Bench;

/// <summary>What one store did at one size.</summary>
public sealed record StoreBenchmarkResult(
    [property: JsonPropertyName("store")] string Store,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("ingest_seconds")] double IngestSeconds,
    [property: JsonPropertyName("ingest_per_second")] double IngestPerSecond,
    [property: JsonPropertyName("hybrid_search")] LatencySummary HybridSearch,
    [property: JsonPropertyName("vector_search")] LatencySummary VectorSearch,
    [property: JsonPropertyName("text_search")] LatencySummary TextSearch);
