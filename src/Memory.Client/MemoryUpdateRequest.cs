using System.Text.Json.Nodes;

namespace Memory.Client;

/// <summary>Body of <c>PUT /memories/{id}</c>: the new text, and metadata that replaces the stored one when given.</summary>
public sealed record MemoryUpdateRequest(string Text)
{
    public JsonObject? Metadata { get; init; }
}
