using System.Text.Json.Serialization;

namespace Memory.Cli.Bench;

/// <summary>
/// What one store did at one size. <see cref="Search"/>: the PostgreSQL search mode (null for SQLite).
/// <see cref="VectorRecallAt10"/>: the mean share of the exact 10 nearest (by cosine over every stored embedding) that the
/// raw vector search returned for the timed queries; null above <see cref="StoreBenchmark.MaxRecallSize"/> memories.
/// </summary>
public sealed record StoreBenchmarkResult(
    [property: JsonPropertyName("store")] string Store,
    [property: JsonPropertyName("search")] string? Search,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("ingest_seconds")] double IngestSeconds,
    [property: JsonPropertyName("ingest_per_second")] double IngestPerSecond,
    [property: JsonPropertyName("hybrid_search")] LatencySummary HybridSearch,
    [property: JsonPropertyName("vector_search")] LatencySummary VectorSearch,
    [property: JsonPropertyName("text_search")] LatencySummary TextSearch,
    [property: JsonPropertyName("vector_recall_at_10")] double? VectorRecallAt10);
