using System.Text.Json.Nodes;

namespace Memory.Client;

/// <summary>A conversation message to remember: who said it and what was said.</summary>
/// <param name="Role">"user", "assistant", or a speaker name.</param>
/// <param name="Content">The message text.</param>
public sealed record MemoryMessage(string Role, string Content)
{
    /// <summary>The caller's own id for the message, kept as the memory's provenance (sent as <c>message_id</c>).</summary>
    public string? MessageId { get; init; }

    /// <summary>When the message was said; the memory is dated by it (the server uses now when absent).</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Metadata of this message, merged over the request's metadata.</summary>
    public JsonObject? Metadata { get; init; }

    public static MemoryMessage User(string content) => new("user", content);

    public static MemoryMessage Assistant(string content) => new("assistant", content);
}
