namespace Memory.KvCache.Metadata;

/// <summary>A metadata row: one stored block, the tenant and conversation that produced it, its sizes.</summary>
public sealed record KvBlockRecord(
    string BlockKey,
    string PrefixKey,
    string ModelId,
    int Tokens,
    long RawBytes,
    long StoredBytes,
    string Tenant,
    string? ConversationId,
    string? SessionId);
