using System.Text.Json.Serialization;
using Memory.Client;

namespace Memory.SemanticKernel;

/// <summary>One memory touched by <c>remember</c>: ADD (new), UPDATE (changed), DELETE, or NONE (already known).</summary>
public sealed record RememberedMemory(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("event")] string Event)
{
    public static RememberedMemory From(MemoryChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new RememberedMemory(change.Id, change.Text, change.Event.ToString().ToUpperInvariant());
    }
}
