using System.ComponentModel;
using System.Text.Json;

namespace Memory.Server.Contracts;

/// <summary>
/// A conversation message as Mem0 clients send it. The caller's own message id may come as <c>id</c>,
/// <c>message_id</c>, or inside <c>metadata</c> under either name; it is kept as the memory's provenance.
/// </summary>
internal sealed class MessageBody
{
    [Description("Who spoke: user, assistant, or a speaker name.")]
    public string? Role { get; set; }

    [Description("The message text.")]
    public string? Content { get; set; }

    [Description("The caller's id for this message, kept as provenance (also read from message_id or metadata.message_id / metadata.id).")]
    public string? Id { get; set; }

    [Description("The caller's id for this message (alias of id).")]
    public string? MessageId { get; set; }

    [Description("When the message was said; the memory is dated by it (defaults to now).")]
    public DateTimeOffset? Timestamp { get; set; }

    [Description("Metadata of this message, stored with its memory.")]
    public Dictionary<string, JsonElement>? Metadata { get; set; }

    /// <summary>The caller's id for this message, from the first place that holds a non-blank string.</summary>
    public string? CallerMessageId()
    {
        if (!string.IsNullOrWhiteSpace(MessageId))
        {
            return MessageId.Trim();
        }

        if (!string.IsNullOrWhiteSpace(Id))
        {
            return Id.Trim();
        }

        foreach (var name in (string[])["message_id", "id"])
        {
            if (Metadata is not null && Metadata.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String
                && !string.IsNullOrWhiteSpace(value.GetString()))
            {
                return value.GetString()!.Trim();
            }
        }

        return null;
    }
}
