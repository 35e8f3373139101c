using System.Text.Json.Serialization;

namespace Memory.Cli.Locomo;

public sealed record CategoryRecall(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("questions")] int Questions,
    [property: JsonPropertyName("recall")] double Recall);
