using System.Text.Json.Serialization;

namespace Memory.Cli.Locomo;

/// <summary>Evidence recall@k of one run: overall, per category, and what was measured.</summary>
public sealed record RecallReport
{
    [JsonPropertyName("benchmark")] public string Benchmark { get; init; } = "locomo-evidence-recall";
    [JsonPropertyName("k")] public required int K { get; init; }
    [JsonPropertyName("questions")] public required int Questions { get; init; }
    [JsonPropertyName("recall")] public required double Recall { get; init; }
    [JsonPropertyName("by_category")] public required IReadOnlyDictionary<string, CategoryRecall> ByCategory { get; init; }
    [JsonPropertyName("conversations")] public required int Conversations { get; init; }
    [JsonPropertyName("memories")] public required int Memories { get; init; }
    [JsonPropertyName("store")] public required string Store { get; init; }
    [JsonPropertyName("embedder")] public required string Embedder { get; init; }
    [JsonPropertyName("fusion")] public required string Fusion { get; init; }
    [JsonPropertyName("image_captions")] public required bool ImageCaptions { get; init; }
    [JsonPropertyName("ingest_seconds")] public required double IngestSeconds { get; init; }
    [JsonPropertyName("search_ms_p50")] public required double SearchMsP50 { get; init; }
    [JsonPropertyName("search_ms_p95")] public required double SearchMsP95 { get; init; }
}
