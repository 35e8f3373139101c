using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;

namespace Memory.Conversations.Tests;

public class SearchAndLifecycleTests
{
    private static readonly MemoryScope Melanie = MemoryScope.From("melanie-chat", null, null);

    private static async Task<IReadOnlyList<MemoryChange>> SeedAsync(EngineHarness engine, string? tenant = null)
    {
        var result = await engine.Send(new AddMemoriesRequest(
            tenant ?? engine.Tenant,
            Melanie,
            [
                new IncomingMessage("Melanie", "I painted a sunrise over the lake last year.", "D1:1"),
                new IncomingMessage("Caroline", "The adoption agency called me back about the interview.", "D1:2"),
                new IncomingMessage("Melanie", "We went camping in the mountains with the kids.", "D1:3"),
                new IncomingMessage("Caroline", "My new job at the counseling centre starts Monday.", "D1:4"),
            ],
            null,
            false,
            "test"));
        return result.Results;
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Search_finds_the_matching_memory_first_with_scores_in_the_unit_interval(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        await SeedAsync(engine);
        var results = await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "What did Melanie paint?", MetadataFilter.None, 3, null));

        Assert.Equal(3, results.Count);
        Assert.Equal(["D1:1"], results[0].Memory.SourceMessageIds);
        Assert.All(results, r => Assert.InRange(r.Score, 0.0, 1.0));
        Assert.True(results.Zip(results.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Threshold_drops_results_below_it_and_null_keeps_them(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        await SeedAsync(engine);
        var all = await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "adoption agency interview", MetadataFilter.None, 10, null));
        Assert.Equal(4, all.Count);
        var cut = (all[0].Score + all[1].Score) / 2;
        var kept = await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "adoption agency interview", MetadataFilter.None, 10, cut));
        Assert.Equal(["D1:2"], Assert.Single(kept).Memory.SourceMessageIds);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Another_tenant_and_another_scope_see_nothing(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        var added = await SeedAsync(engine);
        Assert.Empty(await engine.Send(new SearchMemoriesRequest("someone-else", Melanie, "sunrise", MetadataFilter.None, 10, null)));
        Assert.Empty(await engine.Send(new SearchMemoriesRequest(engine.Tenant, MemoryScope.From("other", null, null), "sunrise", MetadataFilter.None, 10, null)));
        Assert.Null(await engine.Send(new GetMemoryRequest("someone-else", added[0].Id)));
        Assert.False(await engine.Send(new DeleteMemoryRequest("someone-else", added[0].Id, "test")));
        Assert.NotNull(await engine.Send(new GetMemoryRequest(engine.Tenant, added[0].Id)));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Metadata_filters_narrow_the_search(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        await engine.Send(new AddMemoriesRequest(engine.Tenant, Melanie,
            [new IncomingMessage("user", "I bought a red bicycle.", Metadata: new Dictionary<string, JsonElement> { ["topic"] = JsonSerializer.SerializeToElement("sport") }),
             new IncomingMessage("user", "I bought a red dress.", Metadata: new Dictionary<string, JsonElement> { ["topic"] = JsonSerializer.SerializeToElement("fashion") })],
            null, false, "test"));
        var filter = new MetadataFilter(new Dictionary<string, JsonElement> { ["topic"] = JsonSerializer.SerializeToElement("fashion") });
        var results = await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "what did I buy", filter, 10, null));
        Assert.Equal("I bought a red dress.", Assert.Single(results).Memory.Text);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Update_re_embeds_so_the_new_text_is_found_and_history_records_it(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        var added = await SeedAsync(engine);
        var before = await engine.Send(new GetMemoryRequest(engine.Tenant, added[2].Id));
        var updated = await engine.Send(new UpdateMemoryRequest(engine.Tenant, added[2].Id, "We went kayaking on the river with the kids.", null, "test"));

        Assert.NotNull(updated);
        Assert.Equal("We went kayaking on the river with the kids.", updated.Text);
        Assert.NotEqual(before!.Embedding.ToArray(), updated.Embedding.ToArray());
        Assert.NotEqual(before.Hash, updated.Hash);

        var results = await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "kayaking river", MetadataFilter.None, 1, null));
        Assert.Equal(added[2].Id, Assert.Single(results).Memory.Id);
        var history = await engine.Send(new GetHistoryRequest(engine.Tenant, added[2].Id));
        Assert.Equal([MemoryEvent.Add, MemoryEvent.Update], history.Select(h => h.Event));

        Assert.Null(await engine.Send(new UpdateMemoryRequest(engine.Tenant, "no-such-id", "text", null, "test")));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Delete_list_scope_delete_and_reset_go_through_the_store(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        var added = await SeedAsync(engine);
        Assert.Equal(4, (await engine.Send(new ListMemoriesRequest(engine.Tenant, Melanie, MetadataFilter.None, 100))).Count);

        Assert.True(await engine.Send(new DeleteMemoryRequest(engine.Tenant, added[0].Id, "test")));
        Assert.False(await engine.Send(new DeleteMemoryRequest(engine.Tenant, added[0].Id, "test")));
        Assert.Equal(3, (await engine.Send(new ListMemoriesRequest(engine.Tenant, Melanie, MetadataFilter.None, 100))).Count);

        Assert.Equal(3, await engine.Send(new DeleteScopeRequest(engine.Tenant, Melanie, "test")));
        Assert.Empty(await engine.Send(new ListMemoriesRequest(engine.Tenant, Melanie, MetadataFilter.None, 100)));

        await SeedAsync(engine);
        await engine.Send(new ResetRequest(engine.Tenant));
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    [Theory]
    [InlineData(0, "top_k")]
    [InlineData(1001, "top_k")]
    public async Task Search_limits_are_validated(int topK, string field)
    {
        await using var engine = await EngineHarness.StartAsync("sqlite");
        var error = await Assert.ThrowsAsync<MemoryValidationException>(async () =>
            await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "anything", MetadataFilter.None, topK, null)));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task Blank_query_bad_threshold_and_empty_scope_are_refused()
    {
        await using var engine = await EngineHarness.StartAsync("sqlite");
        Assert.Equal("query", (await Assert.ThrowsAsync<MemoryValidationException>(async () =>
            await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, " ", MetadataFilter.None, 5, null)))).Field);
        Assert.Equal("threshold", (await Assert.ThrowsAsync<MemoryValidationException>(async () =>
            await engine.Send(new SearchMemoriesRequest(engine.Tenant, Melanie, "x", MetadataFilter.None, 5, 1.5)))).Field);
        Assert.Equal("user_id", (await Assert.ThrowsAsync<MemoryValidationException>(async () =>
            await engine.Send(new DeleteScopeRequest(engine.Tenant, new MemoryScope(null, null, null), "test")))).Field);
        Assert.Equal("limit", (await Assert.ThrowsAsync<MemoryValidationException>(async () =>
            await engine.Send(new ListMemoriesRequest(engine.Tenant, Melanie, MetadataFilter.None, 0)))).Field);
    }
}
