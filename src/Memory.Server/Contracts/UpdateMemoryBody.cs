using System.ComponentModel;
using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>
/// Body of <c>PUT /memories/{id}</c>: the new text as <c>text</c> (what Mem0's client sends), or <c>memory</c> /
/// <c>data</c>; <c>metadata</c>, when given, replaces the stored metadata.
/// </summary>
internal sealed class UpdateMemoryBody
{
    [Description("The new text of the memory.")]
    public string? Text { get; set; }

    [Description("Alias of text.")]
    public string? Memory { get; set; }

    [Description("Alias of text.")]
    public string? Data { get; set; }

    [Description("When given, replaces the stored metadata.")]
    public Dictionary<string, JsonElement>? Metadata { get; set; }

    public UpdateMemoryRequest ToRequest(string tenant, string id, string actor)
    {
        var text = Text ?? Memory ?? Data
            ?? throw new MemoryValidationException("text", "'text' is required: the new content of the memory.");
        return new UpdateMemoryRequest(tenant, id, text, Metadata, actor);
    }
}
