using System.Text.Json.Serialization;

namespace Memory.SemanticKernel;

/// <summary>What <c>forget</c> did, in words a model can act on.</summary>
public sealed record ForgetOutcome(
    [property: JsonPropertyName("forgotten")] bool Forgotten,
    [property: JsonPropertyName("summary")] string Summary);
