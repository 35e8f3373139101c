using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>Body of <c>POST /search</c>: hybrid search within a scope.</summary>
public sealed record MemorySearchRequest
{
    public required string Query { get; init; }

    public string? UserId { get; init; }

    public string? AgentId { get; init; }

    public string? RunId { get; init; }

    /// <summary>
    /// Metadata equality filters: <c>{"k": v}</c>, <c>{"k": [any, of]}</c>, <c>{"k": {"eq": v}}</c>,
    /// <c>{"k": {"in": [..]}}</c>, <c>{"AND": [{..}, {..}]}</c>; scope ids may also be given here.
    /// </summary>
    public JsonObject? Filters { get; init; }

    /// <summary>Most results to return (server default 20, at most 1000).</summary>
    public int? TopK { get; init; }

    /// <summary>Drop results scoring below this (0 to 1).</summary>
    public double? Threshold { get; init; }

    /// <summary>Search the memories as they stood at this instant, including ones invalidated since.</summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>Sets the three scope ids from one value.</summary>
    [JsonIgnore]
    public MemoryScopeIds Scope
    {
        get => new(UserId, AgentId, RunId);
        init => (UserId, AgentId, RunId) = (value?.UserId, value?.AgentId, value?.RunId);
    }
}
