namespace Memory.Client;

/// <summary>
/// Whose memories a call addresses: the user they are about, the agent that holds them, the run they belong to.
/// At least one id is required by the server; ids left out are not constrained.
/// </summary>
public sealed record MemoryScopeIds(string? UserId = null, string? AgentId = null, string? RunId = null)
{
    public static MemoryScopeIds ForUser(string userId) => new(UserId: userId);

    public static MemoryScopeIds ForAgent(string agentId) => new(AgentId: agentId);

    public static MemoryScopeIds ForRun(string runId) => new(RunId: runId);

    /// <summary>True when no id is set (blank ids count as absent, as on the server).</summary>
    public bool IsEmpty => string.IsNullOrWhiteSpace(UserId) && string.IsNullOrWhiteSpace(AgentId) && string.IsNullOrWhiteSpace(RunId);

    /// <summary>True when a memory stored under the given ids falls inside this scope.</summary>
    public bool Contains(string? userId, string? agentId, string? runId) =>
        Matches(UserId, userId) && Matches(AgentId, agentId) && Matches(RunId, runId);

    private static bool Matches(string? required, string? actual) =>
        string.IsNullOrWhiteSpace(required) || string.Equals(required.Trim(), actual, StringComparison.Ordinal);
}
