using System.Text.Json;

namespace Memory.Server.Contracts;

/// <summary>
/// A conversation message as Mem0 clients send it. The caller's own message id may come as <c>id</c>,
/// <c>message_id</c>, or inside <c>metadata</c> under either name; it is kept as the memory's provenance.
/// </summary>
internal sealed class MessageBody
{
    public string? Role { get; set; }

    public string? Content { get; set; }

    public string? Id { get; set; }

    public string? MessageId { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

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
