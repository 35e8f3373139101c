using System.Net;
using System.Text.Json.Nodes;
using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>
/// What every <see cref="IMemoryClient"/> does, checked against the REST client (real server over HTTP) and the
/// in-process client (the same engine without HTTP): same results, same typed errors.
/// </summary>
public abstract class MemoryClientContract
{
    protected abstract IMemoryClient Client { get; }

    [Fact]
    public async Task Verbatim_add_then_list_get_update_history_and_delete_round_trip()
    {
        var user = TestScopes.NewUser("alice");
        var added = await Client.AddAsync(new MemoryAddRequest
        {
            Messages =
            [
                new MemoryMessage("user", "I moved to Lisbon last spring.") { MessageId = "msg-1", Metadata = new JsonObject { ["topic"] = "home" } },
                MemoryMessage.Assistant("Noted: you live in Lisbon."),
            ],
            UserId = user,
            AgentId = "travel-agent",
            Metadata = new JsonObject { ["source"] = "contract-test" },
            Infer = false,
        });

        Assert.Equal([MemoryChangeEvent.Add, MemoryChangeEvent.Add], added.Results.Select(r => r.Event));
        Assert.Equal(["I moved to Lisbon last spring.", "Noted: you live in Lisbon."], added.Results.Select(r => r.Text));
        var id = added.Results[0].Id;

        var listed = await Client.ListAsync(MemoryScopeIds.ForUser(user));
        Assert.Equal(2, listed.Count);
        var stored = Assert.Single(listed, m => m.Id == id);
        Assert.Equal("user", stored.Role);
        Assert.Equal("travel-agent", stored.AgentId);
        Assert.Equal(user, stored.UserId);
        Assert.Equal(["msg-1"], stored.SourceMessageIds);
        Assert.Equal("home", stored.Metadata["topic"].GetString());
        Assert.Equal("contract-test", stored.Metadata["source"].GetString());
        Assert.False(string.IsNullOrEmpty(stored.Hash));
        Assert.Null(stored.Score);

        var got = await Client.GetAsync(id);
        Assert.Equal("I moved to Lisbon last spring.", got.Text);

        var updated = await Client.UpdateAsync(id, new MemoryUpdateRequest("I moved to Porto this spring.") { Metadata = new JsonObject { ["topic"] = "move" } });
        Assert.Equal("I moved to Porto this spring.", updated.Text);
        Assert.Equal(["topic"], updated.Metadata.Keys);
        Assert.Equal("move", updated.Metadata["topic"].GetString());
        Assert.NotNull(updated.UpdatedAt);

        await Client.DeleteAsync(id);
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => Client.GetAsync(id));

        var history = await Client.GetHistoryAsync(id);
        Assert.Equal([MemoryChangeEvent.Add, MemoryChangeEvent.Update, MemoryChangeEvent.Delete], history.Select(h => h.Event));
        Assert.All(history, h => Assert.Equal(id, h.MemoryId));
        Assert.Equal("I moved to Lisbon last spring.", history[1].OldMemory);
        Assert.Equal("I moved to Porto this spring.", history[1].NewMemory);
        Assert.Equal(["msg-1"], history[0].SourceMessageIds);

        Assert.Equal(["Noted: you live in Lisbon."], (await Client.ListAsync(MemoryScopeIds.ForUser(user))).Select(m => m.Text));
    }

    [Fact]
    public async Task Re_adding_a_stored_message_is_none_with_the_existing_id()
    {
        var user = TestScopes.NewUser();
        var request = new MemoryAddRequest { Messages = [MemoryMessage.User("My favourite colour is teal.")], UserId = user, Infer = false };
        var first = Assert.Single((await Client.AddAsync(request)).Results);
        var second = Assert.Single((await Client.AddAsync(request)).Results);

        Assert.Equal(MemoryChangeEvent.None, second.Event);
        Assert.Equal(first.Id, second.Id);
        Assert.Single(await Client.ListAsync(MemoryScopeIds.ForUser(user)));
    }

    [Fact]
    public async Task Search_ranks_the_relevant_memory_first_and_honours_filters_top_k_and_threshold()
    {
        var user = TestScopes.NewUser();
        foreach (var (text, topic) in ((string, string)[])[
            ("I am allergic to peanuts and shellfish.", "health"),
            ("My daughter plays the cello on Tuesdays.", "family"),
            ("I drive a green electric car to work.", "commute")])
        {
            await Client.AddAsync(new MemoryAddRequest
            {
                Messages = [MemoryMessage.User(text)],
                UserId = user,
                Metadata = new JsonObject { ["topic"] = topic },
                Infer = false,
            });
        }

        var found = await Client.SearchAsync(new MemorySearchRequest { Query = "what food allergies do I have? peanuts", UserId = user });
        Assert.Equal(3, found.Count);
        Assert.Equal("I am allergic to peanuts and shellfish.", found[0].Text);
        Assert.All(found, m => Assert.InRange(m.Score!.Value, 0, 1));
        Assert.True(found[0].Score >= found[1].Score);

        var top1 = await Client.SearchAsync(new MemorySearchRequest { Query = "cello", UserId = user, TopK = 1 });
        Assert.Equal("My daughter plays the cello on Tuesdays.", Assert.Single(top1).Text);

        var filtered = await Client.SearchAsync(new MemorySearchRequest
        {
            Query = "peanuts",
            Filters = new JsonObject { ["user_id"] = user, ["topic"] = new JsonObject { ["in"] = new JsonArray("family", "commute") } },
        });
        Assert.Equal(2, filtered.Count);
        Assert.DoesNotContain(filtered, m => m.Text.Contains("peanuts", StringComparison.Ordinal));

        var anded = await Client.SearchAsync(new MemorySearchRequest
        {
            Query = "car",
            UserId = user,
            Filters = new JsonObject { ["AND"] = new JsonArray(new JsonObject { ["topic"] = new JsonObject { ["eq"] = "commute" } }) },
        });
        Assert.Equal("I drive a green electric car to work.", Assert.Single(anded).Text);

        var strict = await Client.SearchAsync(new MemorySearchRequest { Query = "peanuts", UserId = user, Threshold = 1.0 });
        Assert.All(strict, m => Assert.Equal(1.0, m.Score!.Value, 6));
        Assert.True(strict.Count < 3);
    }

    [Fact]
    public async Task Refused_requests_are_validation_exceptions_naming_the_field_and_change_nothing()
    {
        var user = TestScopes.NewUser();
        var noScope = await Assert.ThrowsAsync<MemoryApiValidationException>(() =>
            Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("orphan fact")], Infer = false }));
        Assert.Equal(HttpStatusCode.BadRequest, noScope.StatusCode);
        Assert.Equal(MemoryApiErrorKind.Validation, noScope.Kind);
        Assert.Contains("user_id", noScope.Errors.Keys);
        Assert.False(string.IsNullOrWhiteSpace(noScope.Detail));

        var topK = await Assert.ThrowsAsync<MemoryApiValidationException>(() =>
            Client.SearchAsync(new MemorySearchRequest { Query = "x", UserId = user, TopK = 0 }));
        Assert.Contains("top_k", topK.Errors.Keys);

        var orFilter = await Assert.ThrowsAsync<MemoryApiValidationException>(() =>
            Client.SearchAsync(new MemorySearchRequest { Query = "x", UserId = user, Filters = new JsonObject { ["OR"] = new JsonArray() } }));
        Assert.Contains("filters.OR", orFilter.Errors.Keys);

        var id = Assert.Single((await Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("keep me")], UserId = user, Infer = false })).Results).Id;
        var emptyText = await Assert.ThrowsAsync<MemoryApiValidationException>(() => Client.UpdateAsync(id, new MemoryUpdateRequest("  ")));
        Assert.Single(emptyText.Errors);
        Assert.Equal("keep me", (await Client.GetAsync(id)).Text);

        var badMessage = await Assert.ThrowsAsync<MemoryApiValidationException>(() =>
            Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("fine"), new MemoryMessage(" ", "no role")], UserId = user, Infer = false }));
        Assert.Contains("messages[1].role", badMessage.Errors.Keys);
        Assert.Equal(["keep me"], (await Client.ListAsync(MemoryScopeIds.ForUser(user))).Select(m => m.Text));
    }

    [Fact]
    public async Task Unknown_ids_are_not_found_for_get_update_delete_and_history()
    {
        var id = "no-such-memory-" + Guid.NewGuid().ToString("N");
        var get = await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => Client.GetAsync(id));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("Memory not found", get.Title);
        Assert.Contains(id, get.Detail, StringComparison.Ordinal);
        Assert.Equal(MemoryApiErrorKind.NotFound, get.Kind);

        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => Client.UpdateAsync(id, new MemoryUpdateRequest("text")));
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => Client.DeleteAsync(id));
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => Client.GetHistoryAsync(id));
    }

    [Fact]
    public async Task Infer_true_without_an_extraction_llm_is_not_implemented_and_stores_nothing()
    {
        var user = TestScopes.NewUser();
        var refused = await Assert.ThrowsAsync<MemoryApiException>(() =>
            Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("I like jazz.")], UserId = user }));
        Assert.Equal(HttpStatusCode.NotImplemented, refused.StatusCode);
        Assert.Equal(MemoryApiErrorKind.NotImplemented, refused.Kind);
        Assert.Contains("infer", refused.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await Client.ListAsync(MemoryScopeIds.ForUser(user)));
    }

    [Fact]
    public async Task Delete_all_removes_one_scope_only_and_reports_the_count()
    {
        var alice = TestScopes.NewUser("alice");
        var bob = TestScopes.NewUser("bob");
        await Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("a1"), MemoryMessage.User("a2")], UserId = alice, RunId = "r1", Infer = false });
        await Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("a3")], UserId = alice, RunId = "r2", Infer = false });
        await Client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("b1")], UserId = bob, Infer = false });

        Assert.Equal(2, await Client.DeleteAllAsync(new MemoryScopeIds(UserId: alice, RunId: "r1")));
        Assert.Equal(["a3"], (await Client.ListAsync(MemoryScopeIds.ForUser(alice))).Select(m => m.Text));
        Assert.Equal(["b1"], (await Client.ListAsync(MemoryScopeIds.ForUser(bob))).Select(m => m.Text));
        Assert.Equal(0, await Client.DeleteAllAsync(new MemoryScopeIds(UserId: alice, RunId: "r1")));

        var noScope = await Assert.ThrowsAsync<MemoryApiValidationException>(() => Client.DeleteAllAsync(new MemoryScopeIds()));
        Assert.Contains("user_id", noScope.Errors.Keys);
    }

    [Fact]
    public async Task List_limit_keeps_the_newest()
    {
        var user = TestScopes.NewUser();
        foreach (var text in (string[])["first", "second", "third"])
        {
            await Client.AddAsync(new MemoryAddRequest
            {
                Messages = [new MemoryMessage("user", text) { Timestamp = DateTimeOffset.Parse("2026-01-01T00:00:00Z").AddDays(text.Length) }],
                UserId = user,
                Infer = false,
            });
        }

        var newest = await Client.ListAsync(MemoryScopeIds.ForUser(user), limit: 2);
        Assert.Equal(2, newest.Count);
    }

    [Fact]
    public async Task Health_reports_the_store_ready()
    {
        var health = await Client.GetHealthAsync();
        Assert.True(health.IsHealthy, health.Status);
        Assert.True(health.Checks["store"].Status == "Healthy");
    }
}
