using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Server.Contracts;

namespace Memory.Server.Tests;

public sealed class SearchFiltersTests
{
    private static Dictionary<string, JsonElement> Filters(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    [Fact]
    public void Scope_ids_inside_filters_become_the_scope_and_the_rest_metadata_conditions()
    {
        var (scope, filter) = SearchFilters.Read(null, "agent-1", null, Filters("""
            {"AND": [{"user_id": "alice"}, {"topic": {"in": ["home", "work"]}}], "lang": {"eq": "pt"}, "run_id": "r1"}
            """));

        Assert.Equal("alice", scope.UserId);
        Assert.Equal("agent-1", scope.AgentId);
        Assert.Equal("r1", scope.RunId);
        Assert.Equal(["lang", "topic"], filter.Conditions.Keys.Order(StringComparer.Ordinal));
        Assert.True(filter.Matches(Filters("""{"topic": "work", "lang": "pt"}""")));
        Assert.False(filter.Matches(Filters("""{"topic": "play", "lang": "pt"}""")));
    }

    [Theory]
    [InlineData("""{"OR": [{"a": 1}]}""", "filters.OR")]
    [InlineData("""{"NOT": [{"a": 1}]}""", "filters.NOT")]
    [InlineData("""{"created_at": {"gte": "2024-01-01"}}""", "filters.created_at.gte")]
    [InlineData("""{"a": {"in": 3}}""", "filters.a.in")]
    [InlineData("""{"a": {}}""", "filters.a")]
    [InlineData("""{"user_id": 7}""", "filters.user_id")]
    [InlineData("""{"user_id": "bob"}""", "filters.user_id")]
    [InlineData("""{"AND": [{"a": 1}, {"a": 2}]}""", "filters.a")]
    public void Unsupported_or_contradictory_filters_are_refused_by_field(string json, string field)
    {
        var failure = Assert.Throws<MemoryValidationException>(() => SearchFilters.Read("alice", null, null, Filters(json)));

        Assert.Equal(field, failure.Field);
    }
}
