using System.Net;
using System.Text.Json;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>The Mem0 OSS REST flow end to end through real HTTP; run against each store by the subclasses.</summary>
public abstract class Mem0FlowTests : IAsyncLifetime
{
    private readonly TestKeys _keys = new();
    private ServerHost _host = null!;
    private HttpClient _client = null!;

    protected abstract Dictionary<string, string?> StoreSettings();

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(_keys.Settings(StoreSettings()));
        _client = _host.CreateClient(_keys.AlphaKey);
    }

    public async Task DisposeAsync()
    {
        // The Postgres database is shared with other test runs: leave nothing of this run's tenant behind.
        await (await _client.PostAsync("reset", null)).ReadJsonAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Add_list_get_update_history_search_delete_and_reset_behave_like_mem0()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];

        // Add verbatim, with the caller's message ids given in message metadata and as message_id.
        var added = await (await _client.PostJsonAsync("memories", $$"""
            {
              "messages": [
                {"role": "user", "content": "I moved to Lisbon last spring and I love the tram rides.", "metadata": {"message_id": "msg-1"} },
                {"role": "assistant", "content": "Noted: you live in Lisbon now.", "message_id": "msg-2"}
              ],
              "user_id": "{{user}}",
              "agent_id": "travel-agent",
              "metadata": {"topic": "home"},
              "infer": false
            }
            """)).ReadJsonAsync();
        var results = added.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal("ADD", r.GetProperty("event").GetString()));
        var userMemoryId = results[0].GetProperty("id").GetString()!;
        var assistantMemoryId = results[1].GetProperty("id").GetString()!;
        Assert.Equal("I moved to Lisbon last spring and I love the tram rides.", results[0].GetProperty("memory").GetString());

        // List by scope: both, with Mem0's fields and our provenance.
        var listed = await _client.ListAsync($"user_id={user}");
        Assert.Equal(2, listed.Count);
        var listedUser = listed.Single(m => m.GetProperty("id").GetString() == userMemoryId);
        Assert.Equal(user, listedUser.GetProperty("user_id").GetString());
        Assert.Equal("travel-agent", listedUser.GetProperty("agent_id").GetString());
        Assert.Equal(JsonValueKind.Null, listedUser.GetProperty("run_id").ValueKind);
        Assert.Equal("home", listedUser.GetProperty("metadata").GetProperty("topic").GetString());
        Assert.Equal(64, listedUser.GetProperty("hash").GetString()!.Length);
        Assert.Equal(["msg-1"], listedUser.GetProperty("source_message_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.True(listedUser.TryGetProperty("created_at", out _));
        Assert.True(listedUser.TryGetProperty("updated_at", out _));
        Assert.False(listedUser.TryGetProperty("score", out _));
        Assert.Equal(2, (await _client.ListAsync($"agent_id=travel-agent&user_id={user}")).Count);
        Assert.Empty(await _client.ListAsync($"user_id={user}&run_id=other-run"));

        // Get one.
        var assistantMemory = await _client.GetJsonAsync($"memories/{assistantMemoryId}");
        Assert.Equal("Noted: you live in Lisbon now.", assistantMemory.GetProperty("memory").GetString());
        Assert.Equal("assistant", assistantMemory.GetProperty("role").GetString());
        Assert.Equal(["msg-2"], assistantMemory.GetProperty("source_message_ids").EnumerateArray().Select(e => e.GetString()));

        // Update (Mem0's client sends "text").
        var updated = await (await _client.PutJsonAsync($"memories/{userMemoryId}",
            """{"text": "I moved to Porto this spring.", "metadata": {"topic": "home", "revised": true}}""")).ReadJsonAsync();
        Assert.Equal("Memory updated successfully!", updated.GetProperty("message").GetString());
        Assert.Equal("I moved to Porto this spring.", updated.GetProperty("result").GetProperty("memory").GetString());
        var afterUpdate = await _client.GetJsonAsync($"memories/{userMemoryId}");
        Assert.Equal("I moved to Porto this spring.", afterUpdate.GetProperty("memory").GetString());
        Assert.True(afterUpdate.GetProperty("metadata").GetProperty("revised").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, afterUpdate.GetProperty("updated_at").ValueKind);

        // History: ADD then UPDATE, old and new text.
        var history = (await _client.GetJsonAsync($"memories/{userMemoryId}/history")).EnumerateArray().ToList();
        Assert.Equal(["ADD", "UPDATE"], history.Select(h => h.GetProperty("event").GetString()));
        Assert.Equal(userMemoryId, history[1].GetProperty("memory_id").GetString());
        Assert.Equal("I moved to Lisbon last spring and I love the tram rides.", history[1].GetProperty("old_memory").GetString());
        Assert.Equal("I moved to Porto this spring.", history[1].GetProperty("new_memory").GetString());

        // Search: the updated text is found, with a score in [0, 1].
        var found = await _client.SearchAsync($$"""{"query": "Which city did I move to, Porto?", "user_id": "{{user}}", "top_k": 5}""");
        Assert.NotEmpty(found);
        Assert.Equal(userMemoryId, found[0].GetProperty("id").GetString());
        Assert.All(found, f => Assert.InRange(f.GetProperty("score").GetDouble(), 0.0, 1.0));
        var filtered = await _client.SearchAsync($$"""{"query": "Porto", "filters": {"user_id": "{{user}}", "revised": true} }""");
        Assert.Equal(userMemoryId, Assert.Single(filtered).GetProperty("id").GetString());

        // Delete one: gone from get and list; its history records the deletion.
        var deleted = await (await _client.DeleteAsync($"memories/{assistantMemoryId}")).ReadJsonAsync();
        Assert.Equal("Memory deleted successfully!", deleted.GetProperty("message").GetString());
        await (await _client.GetAsync($"memories/{assistantMemoryId}")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.DeleteAsync($"memories/{assistantMemoryId}")).ReadProblemAsync(HttpStatusCode.NotFound);
        var deletedHistory = (await _client.GetJsonAsync($"memories/{assistantMemoryId}/history")).EnumerateArray().ToList();
        Assert.Equal("DELETE", deletedHistory[^1].GetProperty("event").GetString());
        Assert.Single(await _client.ListAsync($"user_id={user}"));

        // Delete by scope.
        await _client.AddOneAsync(user, "My sister is called Ana.");
        var other = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _client.AddOneAsync(other, "I collect vinyl records.");
        var scopeDeleted = await (await _client.DeleteAsync($"memories?user_id={user}")).ReadJsonAsync();
        Assert.Equal(2, scopeDeleted.GetProperty("deleted").GetInt32());
        Assert.Empty(await _client.ListAsync($"user_id={user}"));
        Assert.Single(await _client.ListAsync($"user_id={other}"));

        // Reset: everything of this tenant goes.
        var reset = await (await _client.PostAsync("reset", null)).ReadJsonAsync();
        Assert.Equal("All memories reset", reset.GetProperty("message").GetString());
        Assert.Empty(await _client.ListAsync($"user_id={other}"));
    }

    [Fact]
    public async Task Re_adding_an_identical_message_keeps_the_memory_and_reports_none()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var first = await _client.AddOneAsync(user, "I am allergic to peanuts.");

        var again = await (await _client.PostJsonAsync("memories", $$"""
            {"messages": [{"role": "user", "content": "I am allergic to peanuts."}], "user_id": "{{user}}", "infer": false}
            """)).ReadJsonAsync();

        var result = Assert.Single(again.GetProperty("results").EnumerateArray());
        Assert.Equal("NONE", result.GetProperty("event").GetString());
        Assert.Equal(first, result.GetProperty("id").GetString());
        Assert.Single(await _client.ListAsync($"user_id={user}"));
    }

    [Fact]
    public async Task Paths_with_a_trailing_slash_work_as_mem0_clients_send_them()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var id = await _client.AddOneAsync(user, "I play the cello.");

        var memory = await _client.GetJsonAsync($"memories/{id}/");
        Assert.Equal(id, memory.GetProperty("id").GetString());
        Assert.Single((await _client.GetJsonAsync($"memories/?user_id={user}")).GetProperty("results").EnumerateArray());
    }
}
