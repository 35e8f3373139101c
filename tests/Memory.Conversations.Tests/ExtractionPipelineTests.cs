using System.Diagnostics.Metrics;
using Memory.Conversations.Errors;
using Memory.Conversations.Extraction;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Memory.Conversations.Tests;

/// <summary>
/// infer=true end to end: the engine talks HTTP to a scripted OpenAI-compatible server and writes to a real
/// SQLite file or PostgreSQL schema.
/// </summary>
public class ExtractionPipelineTests
{
    private static readonly MemoryScope User = MemoryScope.From("alice", null, null);
    private static readonly DateTimeOffset May8 = new(2023, 5, 8, 13, 56, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset June1 = new(2023, 6, 1, 9, 0, 0, TimeSpan.Zero);

    private static AddMemoriesRequest Add(EngineHarness engine, params IncomingMessage[] messages) =>
        new(engine.Tenant, User, messages, null, Infer: true, Actor: "test");

    private static async Task<(ScriptedChatServer Chat, EngineHarness Engine)> StartAsync(string store, int timeoutSeconds = 10)
    {
        var chat = await ScriptedChatServer.StartAsync();
        var engine = await EngineHarness.StartAsync(store, settings: ExtractionSettings.For(chat, timeoutSeconds));
        return (chat, engine);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Facts_are_stored_with_their_messages_grounded_dates_and_history(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User went hiking with their sister yesterday.", ["m1"], "fact")));

        var result = await engine.Send(Add(engine,
            new IncomingMessage("user", "I went hiking with my sister yesterday!", "msg-1", May8),
            new IncomingMessage("assistant", "That sounds lovely.", "msg-2", May8)));

        var change = Assert.Single(result.Results);
        Assert.Equal(MemoryEvent.Add, change.Event);
        Assert.Equal("User went hiking with their sister on 2023-05-07.", change.Memory);
        Assert.Equal(new ExtractionReport(ExtractionReport.Succeeded, 1, null, "OpenAI/scripted-model", "v1"), result.Extraction);

        var memory = await engine.Send(new GetMemoryRequest(engine.Tenant, change.Id));
        Assert.NotNull(memory);
        Assert.Equal(["msg-1"], memory.SourceMessageIds);
        Assert.Equal(May8, memory.CreatedAt);
        Assert.Equal("succeeded", memory.Metadata["extraction"].GetString());
        Assert.Equal("2023-05-07", memory.Metadata["dates"][0].GetProperty("date").GetString());
        var history = Assert.Single(await engine.Send(new GetHistoryRequest(engine.Tenant, change.Id)));
        Assert.Equal((MemoryEvent.Add, "test"), (history.Event, history.Actor));
        Assert.Equal(["msg-1"], history.SourceMessageIds);

        // One call only (nothing related to consolidate against), asking for a JSON schema, showing labels not ids.
        var request = Assert.Single(chat.Requests);
        Assert.Equal("json_schema", request.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Contains("[m1] 2023-05-08 (Monday) user: I went hiking with my sister yesterday!", chat.MessagesOf(0), StringComparison.Ordinal);
        Assert.DoesNotContain("msg-1", chat.MessagesOf(0), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Fenced_single_quoted_json_with_trailing_text_is_read(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Text("Sure! Here they are:\n```json\n{'facts': [{'text': 'User likes green tea', 'source_message_ids': ['m1'], 'kind': 'fact',}]}\n```\nLet me know if you need more."));

        var result = await engine.Send(Add(engine, new IncomingMessage("user", "I love green tea.", "t-1", May8)));

        Assert.Equal(("User likes green tea", MemoryEvent.Add), (Assert.Single(result.Results).Memory, result.Results[0].Event));
        Assert.Single(chat.Requests);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_malformed_answer_is_retried_once_with_the_parse_error(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(
            ChatReply.Text("I think the user likes tea."),
            ChatReply.Facts(("User likes tea", ["m1"], "fact")));

        var result = await engine.Send(Add(engine, new IncomingMessage("user", "Tea is great.", "t-1", May8)));

        Assert.Equal(MemoryEvent.Add, Assert.Single(result.Results).Event);
        Assert.Equal(ExtractionReport.Succeeded, result.Extraction!.Status);
        Assert.Equal(2, chat.Requests.Count);
        Assert.Contains("could not be used: The answer holds no JSON object", chat.MessagesOf(1), StringComparison.Ordinal);
        Assert.Contains("I think the user likes tea.", chat.MessagesOf(1), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Output_unusable_twice_stores_the_messages_verbatim_marked_failed_and_counts_it(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        var metrics = engine.Services.GetRequiredService<ExtractionMetrics>();
        var failures = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "memory.extraction.failed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref failures, value));
        listener.Start();
        chat.Then(
            ChatReply.Truncated("{\"facts\": [{\"text\": \"User adopted a dog named"),
            ChatReply.Truncated("{\"facts\": [{\"text\": \"User adopted a dog"));

        var result = await engine.Send(Add(engine,
            new IncomingMessage("user", "We adopted a dog named Max last week.", "d-1", May8),
            new IncomingMessage("assistant", "Congratulations!", "d-2", May8)));

        Assert.Equal(ExtractionReport.Failed, result.Extraction!.Status);
        Assert.Contains("truncated", result.Extraction.Error, StringComparison.Ordinal);
        Assert.Contains("output-token limit", result.Extraction.Error, StringComparison.Ordinal);
        Assert.Equal(2, result.Results.Count);
        Assert.All(result.Results, r => Assert.Equal(MemoryEvent.Add, r.Event));
        var stored = await engine.Send(new ListMemoriesRequest(engine.Tenant, User, MetadataFilter.None, 10));
        Assert.Equal(["Congratulations!", "We adopted a dog named Max last week."], stored.Select(m => m.Text).Order(StringComparer.Ordinal));
        Assert.All(stored, m => Assert.Equal("failed", m.Metadata["extraction"].GetString()));
        Assert.All(stored, m => Assert.Contains("truncated", m.Metadata["extraction_error"].GetString(), StringComparison.Ordinal));
        Assert.Equal(["d-1"], stored.Single(m => m.Role == "user").SourceMessageIds);
        Assert.Equal(1, Interlocked.Read(ref failures));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_refinement_updates_the_memory_in_place_seen_by_integer_id(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User likes pizza", ["m1"], "fact")));
        var first = Assert.Single((await engine.Send(Add(engine, new IncomingMessage("user", "I like pizza.", "p-1", May8)))).Results);

        chat.Then(
            ChatReply.Facts(("User likes pepperoni pizza", ["m1"], "fact")),
            ChatReply.Decisions((1, "UPDATE", "0", "User likes pizza, especially pepperoni")));
        var result = await engine.Send(Add(engine, new IncomingMessage("user", "Pepperoni is my favourite.", "p-2", June1)));

        var change = Assert.Single(result.Results);
        Assert.Equal((first.Id, MemoryEvent.Update, "User likes pizza, especially pepperoni", "User likes pizza"),
            (change.Id, change.Event, change.Memory, change.PreviousMemory));
        Assert.Contains("0: User likes pizza (recorded 2023-05-08)", chat.MessagesOf(2), StringComparison.Ordinal);
        Assert.DoesNotContain(first.Id, chat.MessagesOf(2), StringComparison.Ordinal);

        var memory = await engine.Send(new GetMemoryRequest(engine.Tenant, first.Id));
        Assert.Equal(["p-1", "p-2"], memory!.SourceMessageIds);
        var history = await engine.Send(new GetHistoryRequest(engine.Tenant, first.Id));
        Assert.Equal([MemoryEvent.Add, MemoryEvent.Update], history.Select(h => h.Event));
        Assert.Equal(("User likes pizza", "User likes pizza, especially pepperoni"), (history[1].OldMemory, history[1].NewMemory));
        Assert.Equal(["p-2"], history[1].SourceMessageIds);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_contradiction_invalidates_the_old_memory_which_as_of_still_sees(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User lives in Paris", ["m1"], "fact")));
        var paris = Assert.Single((await engine.Send(Add(engine, new IncomingMessage("user", "I live in Paris.", "l-1", May8)))).Results);

        chat.Then(
            ChatReply.Facts(("User lives in Berlin", ["m1"], "fact")),
            ChatReply.Decisions((1, "INVALIDATE", "0", null)));
        var result = await engine.Send(Add(engine, new IncomingMessage("user", "I moved to Berlin.", "l-2", June1)));

        Assert.Equal(2, result.Results.Count);
        var berlin = result.Results.Single(r => r.Event == MemoryEvent.Add);
        Assert.Equal("User lives in Berlin", berlin.Memory);
        Assert.Equal((paris.Id, "User lives in Paris"), result.Results.Where(r => r.Event == MemoryEvent.Invalidate).Select(r => (r.Id, r.Memory)).Single());

        var old = await engine.Send(new GetMemoryRequest(engine.Tenant, paris.Id));
        Assert.Equal((June1, berlin.Id), (old!.InvalidAt, old.SupersededBy));
        var history = await engine.Send(new GetHistoryRequest(engine.Tenant, paris.Id));
        Assert.Equal([MemoryEvent.Add, MemoryEvent.Invalidate], history.Select(h => h.Event));
        Assert.Equal(("User lives in Paris", "User lives in Berlin", false), (history[1].OldMemory, history[1].NewMemory, history[1].IsDeleted));
        Assert.Equal(["l-2"], history[1].SourceMessageIds);

        async Task<string[]> ListAt(DateTimeOffset? asOf) =>
            [.. (await engine.Send(new ListMemoriesRequest(engine.Tenant, User, MetadataFilter.None, 10, asOf))).Select(m => m.Text)];
        Assert.Equal(["User lives in Berlin"], await ListAt(null));
        Assert.Equal(["User lives in Paris"], await ListAt(new DateTimeOffset(2023, 5, 20, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(["User lives in Berlin"], await ListAt(June1.AddDays(1)));
        Assert.Empty(await ListAt(May8.AddDays(-1)));

        var then = await engine.Send(new SearchMemoriesRequest(engine.Tenant, User, "where does the user live", MetadataFilter.None, 5, null, new DateTimeOffset(2023, 5, 20, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal("User lives in Paris", Assert.Single(then).Memory.Text);
        var now = await engine.Send(new SearchMemoriesRequest(engine.Tenant, User, "where does the user live", MetadataFilter.None, 5, null));
        Assert.Equal("User lives in Berlin", Assert.Single(now).Memory.Text);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_delete_without_a_forget_request_only_invalidates_and_a_real_one_deletes(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User is vegetarian", ["m1"], "fact")));
        var vegetarian = Assert.Single((await engine.Send(Add(engine, new IncomingMessage("user", "I'm vegetarian.", "v-1", May8)))).Results);

        // The model answers DELETE for a mere contradiction: overruled, the old fact is kept as history.
        chat.Then(
            ChatReply.Facts(("User eats fish now", ["m1"], "fact")),
            ChatReply.Decisions((1, "DELETE", "0", null)));
        var contradicted = await engine.Send(Add(engine, new IncomingMessage("user", "I started eating fish.", "v-2", June1)));
        Assert.Contains(contradicted.Results, r => r.Id == vegetarian.Id && r.Event == MemoryEvent.Invalidate);
        Assert.NotNull(await engine.Send(new GetMemoryRequest(engine.Tenant, vegetarian.Id)));
        var fish = contradicted.Results.Single(r => r.Event == MemoryEvent.Add);

        // The user asks to forget: that is a delete.
        chat.Then(
            ChatReply.Facts(("User wants to forget that they eat fish", ["m1"], "forget")),
            ChatReply.Decisions((1, "DELETE", "0", null)));
        var forgotten = await engine.Send(Add(engine, new IncomingMessage("user", "Please forget that I eat fish.", "v-3", June1.AddDays(1))));
        Assert.Equal((fish.Id, MemoryEvent.Delete), (Assert.Single(forgotten.Results).Id, forgotten.Results[0].Event));
        Assert.Null(await engine.Send(new GetMemoryRequest(engine.Tenant, fish.Id)));
        var history = await engine.Send(new GetHistoryRequest(engine.Tenant, fish.Id));
        Assert.Equal([MemoryEvent.Add, MemoryEvent.Delete], history.Select(h => h.Event));
        Assert.Equal(["v-3"], history[1].SourceMessageIds);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task An_identical_fact_is_none_without_asking_the_model_to_consolidate(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User has a cat named Tom", ["m1"], "fact")), ChatReply.Facts(("User has a cat named  TOM", ["m1"], "fact")));
        var first = Assert.Single((await engine.Send(Add(engine, new IncomingMessage("user", "My cat is Tom.", "c-1", May8)))).Results);

        var again = await engine.Send(Add(engine, new IncomingMessage("user", "Did I tell you my cat is Tom?", "c-2", June1)));

        Assert.Equal((first.Id, MemoryEvent.None), (Assert.Single(again.Results).Id, again.Results[0].Event));
        Assert.Equal(2, chat.Requests.Count);
        Assert.Equal(1, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
        var history = await engine.Send(new GetHistoryRequest(engine.Tenant, first.Id));
        Assert.Equal([MemoryEvent.Add, MemoryEvent.None], history.Select(h => h.Event));
        Assert.Equal(["c-2"], history[1].SourceMessageIds);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Invented_ids_are_rejected_and_the_fact_is_kept(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User works at Acme", ["m1"], "fact")));
        var acme = Assert.Single((await engine.Send(Add(engine, new IncomingMessage("user", "I work at Acme.", "w-1", May8)))).Results);

        chat.Then(
            ChatReply.Facts(("User works at Globex", ["m7"], "fact"), ("User likes their commute", ["m1"], "fact")),
            ChatReply.Decisions((1, "INVALIDATE", "7", null), (2, "UPDATE", acme.Id, "User likes the commute to Acme")));
        var result = await engine.Send(Add(engine,
            new IncomingMessage("user", "I work at Globex now and I like the commute.", "w-2", June1),
            new IncomingMessage("assistant", "Nice.", "w-3", June1)));

        Assert.Equal(["User likes their commute", "User works at Globex"], result.Results.Select(r => r.Memory).Order(StringComparer.Ordinal));
        Assert.All(result.Results, r => Assert.Equal(MemoryEvent.Add, r.Event));
        var kept = await engine.Send(new GetMemoryRequest(engine.Tenant, acme.Id));
        Assert.Equal(("User works at Acme", null), (kept!.Text, kept.InvalidAt));

        // A fact citing no message it was shown is attributed to all of this request's messages.
        var globex = await engine.Send(new GetMemoryRequest(engine.Tenant, result.Results.Single(r => r.Memory == "User works at Globex").Id));
        Assert.Equal(["w-2", "w-3"], globex!.SourceMessageIds);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_consolidation_answer_unusable_twice_adds_every_fact_and_says_so(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User plays chess", ["m1"], "fact")));
        await engine.Send(Add(engine, new IncomingMessage("user", "I play chess.", "g-1", May8)));

        chat.Then(
            ChatReply.Facts(("User plays chess on Sundays", ["m1"], "fact")),
            ChatReply.Text("{\"decisions\": [{\"fact\": 1, \"event\": \"MERGE\"}]}"),
            ChatReply.Text("no idea"));
        var result = await engine.Send(Add(engine, new IncomingMessage("user", "Sunday is chess day.", "g-2", June1)));

        Assert.Equal(ExtractionReport.Unconsolidated, result.Extraction!.Status);
        Assert.Contains("event must be one of", chat.MessagesOf(3), StringComparison.Ordinal);
        var added = Assert.Single(result.Results);
        Assert.Equal(MemoryEvent.Add, added.Event);
        var memory = await engine.Send(new GetMemoryRequest(engine.Tenant, added.Id));
        Assert.Equal("failed", memory!.Metadata["consolidation"].GetString());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_none_decision_keeps_the_memory_and_records_where_it_was_seen(string store)
    {
        var (chat, engine) = await StartAsync(store);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Facts(("User is allergic to peanuts", ["m1"], "fact")));
        var allergy = Assert.Single((await engine.Send(Add(engine, new IncomingMessage("user", "Peanuts make me sick.", "a-1", May8)))).Results);

        chat.Then(ChatReply.Facts(("User has a peanut allergy", ["m1"], "fact")), ChatReply.Decisions((1, "NONE", "0", null)));
        var result = await engine.Send(Add(engine, new IncomingMessage("user", "Remember my peanut allergy.", "a-2", June1)));

        Assert.Equal((allergy.Id, MemoryEvent.None), (Assert.Single(result.Results).Id, result.Results[0].Event));
        Assert.Equal(1, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
        Assert.Equal([MemoryEvent.Add, MemoryEvent.None], (await engine.Send(new GetHistoryRequest(engine.Tenant, allergy.Id))).Select(h => h.Event));
    }

    [Fact]
    public async Task A_server_refusing_json_schema_is_asked_for_json_mode()
    {
        var (chat, engine) = await StartAsync("sqlite");
        await using var _ = chat;
        await using var __ = engine;
        chat.Interceptor = body => body.GetProperty("response_format").GetProperty("type").GetString() == "json_schema"
            ? new ChatReply("response_format json_schema is not supported", 400)
            : null;
        chat.Then(ChatReply.Facts(("User speaks Italian", ["m1"], "fact")));

        var result = await engine.Send(Add(engine, new IncomingMessage("user", "Parlo italiano.", "i-1", May8)));

        Assert.Equal(MemoryEvent.Add, Assert.Single(result.Results).Event);
        Assert.Equal(["json_schema", "json_object"], chat.Requests.Select(r => r.GetProperty("response_format").GetProperty("type").GetString()));
    }

    [Theory]
    [InlineData(500, typeof(ChatModelUnavailableException))]
    [InlineData(429, typeof(ChatModelUnavailableException))]
    [InlineData(401, typeof(ChatModelRejectedException))]
    public async Task A_failing_chat_server_stores_nothing(int status, Type expected)
    {
        var (chat, engine) = await StartAsync("sqlite");
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Error(status));

        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await engine.Send(Add(engine, new IncomingMessage("user", "I like jazz.", "j-1", May8))));

        Assert.IsType(expected, error);
        Assert.Contains($"{status}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
        Assert.Single(chat.Requests);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_chat_server_slower_than_the_timeout_is_unavailable_and_nothing_is_stored(string store)
    {
        var (chat, engine) = await StartAsync(store, timeoutSeconds: 1);
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Slow(TimeSpan.FromMinutes(2), "{\"facts\": []}"));

        var error = await Assert.ThrowsAsync<ChatModelUnavailableException>(async () =>
            await engine.Send(Add(engine, new IncomingMessage("user", "I like jazz.", "j-1", May8))));

        Assert.Contains("Extraction:TimeoutSeconds", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    [Fact]
    public async Task Without_a_chat_model_infer_true_names_the_settings_to_set()
    {
        await using var engine = await EngineHarness.StartAsync("sqlite");
        var error = await Assert.ThrowsAsync<InferenceUnavailableException>(async () =>
            await engine.Send(Add(engine, new IncomingMessage("user", "I like jazz."))));
        Assert.Contains("Extraction:Provider", error.Message, StringComparison.Ordinal);
        Assert.Contains("Extraction:Model", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }

    [Fact]
    public async Task Nothing_to_remember_stores_nothing()
    {
        var (chat, engine) = await StartAsync("sqlite");
        await using var _ = chat;
        await using var __ = engine;
        chat.Then(ChatReply.Json(new { facts = Array.Empty<object>() }));

        var result = await engine.Send(Add(engine, new IncomingMessage("user", "Hi!", "h-1", May8)));

        Assert.Empty(result.Results);
        Assert.Equal((ExtractionReport.Succeeded, 0), (result.Extraction!.Status, result.Extraction.Facts));
        Assert.Equal(0, await engine.Store.CountAsync(engine.Tenant, CancellationToken.None));
    }
}
