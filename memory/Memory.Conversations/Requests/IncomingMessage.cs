using System.Text.Json;

namespace Memory.Conversations.Requests;

/// <summary>
/// A conversation message as a caller sends it. <see cref="MessageId"/> is the caller's own id when it gave
/// one (Mem0 clients put it in the message metadata as <c>message_id</c> or <c>id</c>); otherwise one is made.
/// </summary>
public sealed record IncomingMessage(
    string Role,
    string Content,
    string? MessageId = null,
    DateTimeOffset? Timestamp = null,
    IReadOnlyDictionary<string, JsonElement>? Metadata = null);
