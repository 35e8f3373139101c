using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>Body of <c>POST /memories</c>: messages to turn into memories within a scope.</summary>
public sealed record MemoryAddRequest
{
    public required IReadOnlyList<MemoryMessage> Messages { get; init; }

    public string? UserId { get; init; }

    public string? AgentId { get; init; }

    public string? RunId { get; init; }

    /// <summary>Stored with every memory made from this request.</summary>
    public JsonObject? Metadata { get; init; }

    /// <summary>
    /// True (the default, as in Mem0): the server extracts facts with an LLM. False: each message is stored verbatim.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public bool Infer { get; init; } = true;

    /// <summary>Sets the three scope ids from one value.</summary>
    [JsonIgnore]
    public MemoryScopeIds Scope
    {
        get => new(UserId, AgentId, RunId);
        init => (UserId, AgentId, RunId) = (value?.UserId, value?.AgentId, value?.RunId);
    }
}
