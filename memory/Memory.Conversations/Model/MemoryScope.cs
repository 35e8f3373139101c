namespace Memory.Conversations.Model;

/// <summary>
/// The Mem0 scope of a memory: who it is about (user), who holds it (agent) and in which run.
/// A query scope matches a memory when every id the query names equals the memory's id; ids the
/// query leaves out are not constrained. At least one id is always required, so no request can
/// address "everything" of a tenant by omission.
/// </summary>
public sealed record MemoryScope(string? UserId, string? AgentId, string? RunId)
{
    public const int MaxIdLength = 256;

    public bool IsEmpty => UserId is null && AgentId is null && RunId is null;

    /// <summary>Builds a scope from optional ids, treating blank strings as absent.</summary>
    public static MemoryScope From(string? userId, string? agentId, string? runId) =>
        new(Normalize(userId), Normalize(agentId), Normalize(runId));

    public bool Matches(MemoryScope memoryScope)
    {
        ArgumentNullException.ThrowIfNull(memoryScope);
        return (UserId is null || UserId == memoryScope.UserId)
            && (AgentId is null || AgentId == memoryScope.AgentId)
            && (RunId is null || RunId == memoryScope.RunId);
    }

    private static string? Normalize(string? id) => string.IsNullOrWhiteSpace(id) ? null : id.Trim();
}
