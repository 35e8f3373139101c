namespace Memory.Inference.Serving;

/// <summary>
/// Who produced KV blocks: the tenant (whose deletes and pins may touch them), and optionally the conversation and
/// session, kept in the block metadata so that <c>DELETE /v1/kv?conversation=…</c> finds them.
/// </summary>
public sealed record KvBlockOrigin(string Tenant, string? ConversationId = null, string? SessionId = null)
{
    /// <summary>The tenant of the embedded, key-less server and of the CLI.</summary>
    public const string DefaultTenant = "default";

    public static KvBlockOrigin Default { get; } = new(DefaultTenant);
}
