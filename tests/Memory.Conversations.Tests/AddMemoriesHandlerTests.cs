using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;

namespace Memory.Conversations.Tests;

public class AddMemoriesHandlerTests
{
    private static readonly MemoryScope Alice = MemoryScope.From("alice", null, null);
    private static readonly DateTimeOffset Said = new(2023, 5, 8, 13, 56, 0, TimeSpan.Zero);

    private static Dictionary<string, JsonElement> Json(params (string Key, object Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value));

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Verbatim_messages_are_stored_one_memory_each_with_role_provenance_metadata_and_time(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        var result = await engine.Send(new AddMemoriesRequest(
            engine.Tenant,
            Alice,
            [
                new IncomingMessage("Caroline", "I went to a LGBTQ support group yesterday.", "D1:3", Said, Json(("speaker", "Caroline"), ("session", 1))),
                new IncomingMessage("assistant", "That sounds like a big step."),
            ],
            Json(("source", "chat"), ("session", 0)),
            Infer: false,
            Actor: "test"));

        Assert.Equal(2, result.Results.Count);
        Assert.All(result.Results, r => Assert.Equal(MemoryEvent.Add, r.Event));

        var first = await engine.Send(new GetMemoryRequest(engine.Tenant, result.Results[0].Id));
        Assert.NotNull(first);
        Assert.Equal("I went to a LGBTQ support group yesterday.", first.Text);
        Assert.Equal("Caroline", first.Role);
        Assert.Equal(["D1:3"], first.SourceMessageIds);
        Assert.Equal(Said, first.CreatedAt);
        Assert.Equal("chat", first.Metadata["source"].GetString());
        Assert.Equal(1, first.Metadata["session"].GetInt32());
        Assert.Equal("Caroline", first.Metadata["speaker"].GetString());
        Assert.Equal(384, first.Embedding.Length);

        var second = await engine.Send(new GetMemoryRequest(engine.Tenant, result.Results[1].Id));
        Assert.NotNull(second);
        Assert.Single(second.SourceMessageIds);
        Assert.False(string.IsNullOrWhiteSpace(second.SourceMessageIds[0]));

        var history = await engine.Send(new GetHistoryRequest(engine.Tenant, first.Id));
        Assert.Equal(MemoryEvent.Add, Assert.Single(history).Event);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task An_identical_message_already_in_the_scope_is_none_and_not_stored_twice(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        var first = await engine.Send(new AddMemoriesRequest(
            engine.Tenant, Alice, [new IncomingMessage("user", "I moved to Berlin in 2022.")], null, false, "test"));
        var again = await engine.Send(new AddMemoriesRequest(
            engine.Tenant,
            Alice,
            [new IncomingMessage("user", "  i moved to BERLIN in 2022. "), new IncomingMessage("user", "I like trains."), new IncomingMessage("user", "I like trains.")],
            null,
            false,
            "test"));

        Assert.Equal(MemoryEvent.None, again.Results[0].Event);
        Assert.Equal(first.Results[0].Id, again.Results[0].Id);
        Assert.Equal(MemoryEvent.Add, again.Results[1].Event);
        Assert.Equal(MemoryEvent.None, again.Results[2].Event);
        Assert.Equal(again.Results[1].Id, again.Results[2].Id);
        Assert.Equal(2, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));

        // Another scope is another memory.
        var bob = await engine.Send(new AddMemoriesRequest(
            engine.Tenant, MemoryScope.From("bob", null, null), [new IncomingMessage("user", "I moved to Berlin in 2022.")], null, false, "test"));
        Assert.Equal(MemoryEvent.Add, bob.Results[0].Event);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Only_the_same_text_role_and_exact_scope_is_a_duplicate_of_a_whole_batch(string store)
    {
        await using var engine = await EngineHarness.StartAsync(store);
        var aliceAtWork = MemoryScope.From("alice", "work-agent", null);
        var stored = await engine.Send(new AddMemoriesRequest(
            engine.Tenant,
            Alice,
            [new IncomingMessage("user", "I play the cello."), new IncomingMessage("assistant", "Noted: cello."), new IncomingMessage("user", "I run on Sundays.")],
            null,
            false,
            "test"));
        await engine.Send(new AddMemoriesRequest(engine.Tenant, aliceAtWork, [new IncomingMessage("user", "I drink tea.")], null, false, "test"));

        var batch = Enumerable.Range(0, 300).Select(i => new IncomingMessage("user", $"Batch message {i}.")).ToList();
        batch.Insert(17, new IncomingMessage("user", "i play the CELLO."));   // same text, role and scope: NONE
        batch.Insert(42, new IncomingMessage("assistant", "I run on Sundays.")); // another role: a new memory
        batch.Insert(99, new IncomingMessage("user", "I drink tea."));       // stored only in a narrower scope: new
        batch.Add(new IncomingMessage("user", "Batch message 5."));          // repeated inside this batch: NONE
        var result = await engine.Send(new AddMemoriesRequest(engine.Tenant, Alice, batch, null, false, "test"));

        Assert.Equal(MemoryEvent.None, result.Results[17].Event);
        Assert.Equal(stored.Results[0].Id, result.Results[17].Id);
        Assert.Equal(MemoryEvent.Add, result.Results[42].Event);
        Assert.NotEqual(stored.Results[2].Id, result.Results[42].Id);
        Assert.Equal(MemoryEvent.Add, result.Results[99].Event);
        Assert.Equal(MemoryEvent.None, result.Results[^1].Event);
        Assert.Equal(result.Results[5].Id, result.Results[^1].Id);
        Assert.Equal(batch.Count - 2, result.Results.Count(r => r.Event == MemoryEvent.Add));
        Assert.Equal(3 + 1 + batch.Count - 2, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    [Fact]
    public async Task Infer_true_is_refused_and_stores_nothing()
    {
        await using var engine = await EngineHarness.StartAsync("sqlite");
        await Assert.ThrowsAsync<InferenceUnavailableException>(async () => await engine.Send(new AddMemoriesRequest(
            engine.Tenant, Alice, [new IncomingMessage("user", "I love hiking.")], null, Infer: true, "test")));
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    public static TheoryData<string, Func<string, AddMemoriesRequest>> InvalidRequests() => new()
    {
        { "user_id", t => new AddMemoriesRequest(t, MemoryScope.From(" ", null, ""), [new IncomingMessage("user", "x")], null, false, "test") },
        { "messages", t => new AddMemoriesRequest(t, Alice, [], null, false, "test") },
        { "messages[1].content", t => new AddMemoriesRequest(t, Alice, [new IncomingMessage("user", "fine"), new IncomingMessage("user", "  ")], null, false, "test") },
        { "messages[0].role", t => new AddMemoriesRequest(t, Alice, [new IncomingMessage("", "fine")], null, false, "test") },
        { "messages[0].content", t => new AddMemoriesRequest(t, Alice, [new IncomingMessage("user", new string('a', 40_000))], null, false, "test") },
        { "agent_id", t => new AddMemoriesRequest(t, MemoryScope.From("u", new string('x', 300), null), [new IncomingMessage("user", "fine")], null, false, "test") },
        { "tenant", _ => new AddMemoriesRequest("", Alice, [new IncomingMessage("user", "fine")], null, false, "test") },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_adds_name_the_field_and_store_nothing(string field, Func<string, AddMemoriesRequest> build)
    {
        await using var engine = await EngineHarness.StartAsync("sqlite");
        var error = await Assert.ThrowsAsync<MemoryValidationException>(async () => await engine.Send(build(engine.Tenant)));
        Assert.Equal(field, error.Field);
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    public static TheoryData<string, Func<string, float[]>> BrokenVectors() => new()
    {
        { "NaN", text => text.Contains("second", StringComparison.Ordinal) ? WithValue(float.NaN) : Valid() },
        { "infinity", text => text.Contains("second", StringComparison.Ordinal) ? WithValue(float.PositiveInfinity) : Valid() },
        { "zeros", text => text.Contains("second", StringComparison.Ordinal) ? new float[384] : Valid() },
        { "length", text => text.Contains("second", StringComparison.Ordinal) ? new float[383] : Valid() },
    };

    [Theory]
    [MemberData(nameof(BrokenVectors))]
    public async Task A_broken_embedding_fails_the_whole_add_before_anything_is_written(string kind, Func<string, float[]> answer)
    {
        await using var engine = await EngineHarness.StartAsync("sqlite", new BrokenEmbeddingGenerator(answer));
        var error = await Assert.ThrowsAsync<EmbeddingFailedException>(async () => await engine.Send(new AddMemoriesRequest(
            engine.Tenant, Alice, [new IncomingMessage("user", "first message"), new IncomingMessage("user", "second message")], null, false, "test")));
        Assert.False(string.IsNullOrWhiteSpace(error.Message), kind);
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    [Fact]
    public async Task A_nan_embedding_on_update_leaves_the_old_memory_intact()
    {
        var poisoned = false;
        await using var engine = await EngineHarness.StartAsync(
            "postgres", new BrokenEmbeddingGenerator(_ => poisoned ? WithValue(float.NaN) : Valid()));
        var added = await engine.Send(new AddMemoriesRequest(engine.Tenant, Alice, [new IncomingMessage("user", "original")], null, false, "test"));
        poisoned = true;
        await Assert.ThrowsAsync<EmbeddingFailedException>(async () =>
            await engine.Send(new UpdateMemoryRequest(engine.Tenant, added.Results[0].Id, "changed", null, "test")));
        var stored = await engine.Send(new GetMemoryRequest(engine.Tenant, added.Results[0].Id));
        Assert.Equal("original", stored!.Text);
        Assert.Single(await engine.Send(new GetHistoryRequest(engine.Tenant, added.Results[0].Id)));
    }

    private static float[] Valid()
    {
        var vector = new float[384];
        vector[0] = 1;
        return vector;
    }

    private static float[] WithValue(float value)
    {
        var vector = Valid();
        vector[17] = value;
        return vector;
    }
}
