using System.ComponentModel;
using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>Body of <c>POST /search</c>; <c>top_k</c> (or its alias <c>limit</c>) defaults to Mem0's 20.</summary>
internal sealed class SearchBody
{
    public const int DefaultTopK = 20;

    [Description("What to look for.")]
    public string? Query { get; set; }

    [Description("Scope: user id (may also be given inside filters).")]
    public string? UserId { get; set; }

    [Description("Scope: agent id (may also be given inside filters).")]
    public string? AgentId { get; set; }

    [Description("Scope: run id (may also be given inside filters).")]
    public string? RunId { get; set; }

    [Description("Metadata equality filters: {key: value}, {key: [any of]}, {key: {eq|in: ...}}, {AND: [...]}; user_id/agent_id/run_id here set the scope.")]
    public Dictionary<string, JsonElement>? Filters { get; set; }

    [Description("Most results to return (default 20, at most 1000).")]
    public int? TopK { get; set; }

    [Description("Alias of top_k.")]
    public int? Limit { get; set; }

    [Description("Drop results scoring below this (0 to 1).")]
    public double? Threshold { get; set; }

    [Description("Search the memories as they stood at this instant (ISO 8601), including ones invalidated since.")]
    public DateTimeOffset? AsOf { get; set; }

    public SearchMemoriesRequest ToRequest(string tenant)
    {
        if (Query is null)
        {
            throw new MemoryValidationException("query", "'query' is required.");
        }

        var (scope, filter) = SearchFilters.Read(UserId, AgentId, RunId, Filters);
        return new SearchMemoriesRequest(tenant, scope, Query, filter, TopK ?? Limit ?? DefaultTopK, Threshold, AsOf);
    }
}
