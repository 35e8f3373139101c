using System.Net;
using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>infer=true through the client: the server's extraction pipeline talking to a scripted chat model.</summary>
public sealed class InferenceClientTests(ExtractingMemoryServer server) : IClassFixture<ExtractingMemoryServer>
{
    private readonly MemoryClient _client = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);

    private static string Facts(params string[] facts) =>
        "{\"facts\": [" + string.Join(", ", facts.Select(f => $$"""{"text": "{{f}}", "source_message_ids": ["m1"], "kind": "fact"}""")) + "]}";

    [Fact]
    public async Task Extracted_facts_come_back_with_the_extraction_outcome_and_keep_provenance()
    {
        var user = TestScopes.NewUser();
        server.Llm.Enqueue(ScriptedReply.Say(Facts("The user is learning Portuguese.")));

        var added = await _client.AddAsync(new MemoryAddRequest
        {
            Messages = [new MemoryMessage("user", "Olá! I started learning Portuguese this month.") { MessageId = "chat-7" }],
            UserId = user,
        });

        var change = Assert.Single(added.Results);
        Assert.Equal(MemoryChangeEvent.Add, change.Event);
        Assert.Equal("The user is learning Portuguese.", change.Text);
        Assert.NotNull(added.Extraction);
        Assert.Equal(ExtractionOutcome.Succeeded, added.Extraction.Status);
        Assert.Equal(1, added.Extraction.Facts);
        Assert.False(added.Extraction.Failed);

        var stored = await _client.GetAsync(change.Id);
        Assert.Equal(["chat-7"], stored.SourceMessageIds);
    }

    [Fact]
    public async Task Unusable_model_output_is_reported_and_the_messages_are_kept_verbatim()
    {
        var user = TestScopes.NewUser();
        server.Llm.Enqueue(ScriptedReply.Say("Sure! Here are the facts: the user has a boat"), ScriptedReply.Say("{\"facts\": [{\"text\": "));

        var added = await _client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("I keep a small sailing boat in Cascais.")], UserId = user });

        Assert.True(added.Extraction!.Failed);
        Assert.False(string.IsNullOrWhiteSpace(added.Extraction.Error));
        var kept = Assert.Single(await _client.ListAsync(MemoryScopeIds.ForUser(user)));
        Assert.Equal("I keep a small sailing boat in Cascais.", kept.Text);
        Assert.Equal("failed", kept.Metadata["extraction"].GetString());
    }

    [Fact]
    public async Task A_contradiction_invalidates_and_as_of_still_finds_the_old_fact()
    {
        var user = TestScopes.NewUser();
        server.Llm.Enqueue(ScriptedReply.Say(Facts("The user lives in Lisbon.")));
        var lisbon = Assert.Single((await _client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("I live in Lisbon.")], UserId = user })).Results);
        var lisbonStored = await _client.GetAsync(lisbon.Id);

        server.Llm.Enqueue(
            ScriptedReply.Say(Facts("The user lives in Porto.")),
            ScriptedReply.Say("""{"decisions": [{"fact": 1, "event": "INVALIDATE", "memory_id": "0", "text": null}]}"""));
        var moved = await _client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("I moved to Porto last week.")], UserId = user });
        Assert.Contains(moved.Results, r => r.Event == MemoryChangeEvent.Invalidate && r.Id == lisbon.Id);

        Assert.Equal(["The user lives in Porto."], (await _client.ListAsync(MemoryScopeIds.ForUser(user))).Select(m => m.Text));
        var then = await _client.ListAsync(MemoryScopeIds.ForUser(user), asOf: lisbonStored.CreatedAt);
        Assert.Equal(["The user lives in Lisbon."], then.Select(m => m.Text));
        var searchedThen = await _client.SearchAsync(new MemorySearchRequest { Query = "where does the user live", UserId = user, AsOf = lisbonStored.CreatedAt });
        Assert.Equal("The user lives in Lisbon.", searchedThen[0].Text);

        var invalidated = await _client.GetAsync(lisbon.Id);
        Assert.NotNull(invalidated.InvalidAt);
        Assert.False(string.IsNullOrEmpty(invalidated.SupersededBy));
        Assert.Contains(MemoryChangeEvent.Invalidate, (await _client.GetHistoryAsync(lisbon.Id)).Select(h => h.Event));
    }

    [Fact]
    public async Task A_background_extraction_is_queued_then_reports_its_results()
    {
        var user = TestScopes.NewUser();
        server.Llm.Enqueue(ScriptedReply.Say(Facts("The user's birthday is on 12 May.")));

        var queued = await _client.AddInBackgroundAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("My birthday is on 12 May.")], UserId = user });
        Assert.Equal(1, queued.Messages);
        Assert.False(string.IsNullOrEmpty(queued.Id));

        var job = queued;
        // Bounded by a count of polls, not by time: a slow machine polls longer, never fails for being slow.
        for (var polls = 0; !job.IsFinished && polls < 1200; polls++)
        {
            await Task.Delay(50);
            job = await _client.GetExtractionAsync(queued.Id);
        }

        Assert.Equal(BackgroundExtractionStatus.Completed, job.Status);
        Assert.Equal("The user's birthday is on 12 May.", Assert.Single(job.Results!).Text);
        Assert.Equal(ExtractionOutcome.Succeeded, job.Extraction!.Status);
        Assert.Equal(["The user's birthday is on 12 May."], (await _client.ListAsync(MemoryScopeIds.ForUser(user))).Select(m => m.Text));

        var otherTenant = server.Factory.CreateMemoryClient(server.Factory.BravoKey);
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => otherTenant.GetExtractionAsync(queued.Id));
    }

    [Fact]
    public async Task An_unknown_extraction_is_not_found_and_verbatim_adds_cannot_be_queued()
    {
        var missing = await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _client.GetExtractionAsync("no-such-job"));
        Assert.Equal("Extraction not found", missing.Title);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            _client.AddInBackgroundAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("x")], UserId = "u", Infer = false }));
    }

    [Fact]
    public async Task A_chat_model_that_fails_is_unavailable_with_retry_after_and_nothing_is_stored()
    {
        var user = TestScopes.NewUser();

        // The script is empty: the chat server answers 500.
        var failed = await Assert.ThrowsAsync<MemoryApiUnavailableException>(() =>
            _client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("I like chess.")], UserId = user }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.NotNull(failed.RetryAfter);
        Assert.Empty(await _client.ListAsync(MemoryScopeIds.ForUser(user)));
    }
}
