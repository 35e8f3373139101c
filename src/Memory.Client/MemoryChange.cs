using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>One memory touched by an add: its id, text, what happened, and the text it replaced on an update.</summary>
public sealed record MemoryChange
{
    public required string Id { get; init; }

    [JsonPropertyName("memory")]
    public required string Text { get; init; }

    public required MemoryChangeEvent Event { get; init; }

    public string? PreviousMemory { get; init; }
}
