namespace Memory.KvCache;

/// <summary>Who produced stored blocks (kept in metadata, used by DELETE /v1/kv?conversation=...).</summary>
public sealed record KvBlockOrigin(string? ConversationId = null, string? SessionId = null)
{
    public static KvBlockOrigin None { get; } = new();
}
