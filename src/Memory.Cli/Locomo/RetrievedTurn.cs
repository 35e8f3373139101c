using System.Text.Json.Serialization;

namespace Memory.Cli.Locomo;

public sealed record RetrievedTurn(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("text")] string Text);
