using System.Text.Json.Serialization;

namespace Memory.Cli.Locomo;

/// <summary>One question's result, for --details: what was asked, what was expected, what came back.</summary>
public sealed record QuestionOutcome(
    [property: JsonPropertyName("sample_id")] string SampleId,
    [property: JsonPropertyName("category")] int Category,
    [property: JsonPropertyName("question")] string Question,
    [property: JsonPropertyName("evidence")] IReadOnlyList<string> Evidence,
    [property: JsonPropertyName("results")] IReadOnlyList<RetrievedTurn> Results,
    [property: JsonPropertyName("recall")] double Recall);
