using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>Body of <c>POST /search</c>; <c>top_k</c> (or its alias <c>limit</c>) defaults to Mem0's 20.</summary>
internal sealed class SearchBody
{
    public const int DefaultTopK = 20;

    public string? Query { get; set; }

    public string? UserId { get; set; }

    public string? AgentId { get; set; }

    public string? RunId { get; set; }

    public Dictionary<string, JsonElement>? Filters { get; set; }

    public int? TopK { get; set; }

    public int? Limit { get; set; }

    public double? Threshold { get; set; }

    public SearchMemoriesRequest ToRequest(string tenant)
    {
        if (Query is null)
        {
            throw new MemoryValidationException("query", "'query' is required.");
        }

        var (scope, filter) = SearchFilters.Read(UserId, AgentId, RunId, Filters);
        return new SearchMemoriesRequest(tenant, scope, Query, filter, TopK ?? Limit ?? DefaultTopK, Threshold);
    }
}
