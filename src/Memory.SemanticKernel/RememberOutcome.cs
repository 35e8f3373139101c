using System.Text.Json.Serialization;

namespace Memory.SemanticKernel;

/// <summary>What <c>remember</c> did: one entry per memory touched, and a sentence for the model.</summary>
public sealed record RememberOutcome(
    [property: JsonPropertyName("summary")] string Summary,
    [property: JsonPropertyName("memories")] IReadOnlyList<RememberedMemory> Memories);
