using System.ComponentModel;
using System.Text.Json.Serialization;
using Memory.Client;

namespace Memory.SemanticKernel;

/// <summary>A memory as the model sees it: id (to forget it), text, relevance and when it was stored.</summary>
public sealed record RecalledMemory(
    [property: JsonPropertyName("id"), Description("Id of the memory; pass it to forget.")] string Id,
    [property: JsonPropertyName("text"), Description("What is remembered.")] string Text,
    [property: JsonPropertyName("relevance"), Description("0 to 1; higher is more relevant to the query.")] double? Relevance,
    [property: JsonPropertyName("stored_at"), Description("When it was stored or last changed.")] DateTimeOffset StoredAt)
{
    public static RecalledMemory From(MemoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new RecalledMemory(entry.Id, entry.Text, entry.Score is { } score ? Math.Round(score, 3) : null, entry.UpdatedAt ?? entry.CreatedAt);
    }
}
