using Memory.Conversations.Model;
using Microsoft.AspNetCore.Mvc;

namespace Memory.Server.Contracts;

/// <summary>The scope ids of <c>GET /memories</c> and <c>DELETE /memories</c>, as query parameters.</summary>
internal sealed class ScopeQuery
{
    [FromQuery(Name = "user_id")]
    public string? UserId { get; set; }

    [FromQuery(Name = "agent_id")]
    public string? AgentId { get; set; }

    [FromQuery(Name = "run_id")]
    public string? RunId { get; set; }

    public MemoryScope ToScope() => MemoryScope.From(UserId, AgentId, RunId);
}
