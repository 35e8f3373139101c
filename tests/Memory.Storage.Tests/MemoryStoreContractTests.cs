using System.Text.Json;
using Memory.Conversations.Model;
using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

/// <summary>
/// The one contract both stores pass. Every test works in tenants of its own, so tests are independent of
/// each other and of the order they run in.
/// </summary>
public abstract class MemoryStoreContractTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract IMemoryStore Store { get; }

    /// <summary>A second store instance on the same database (another server), opened and initialised; the test disposes it.</summary>
    protected abstract Task<IMemoryStore> OpenPeerAsync();

    private static MemoryScope User(string user) => new(user, null, null);

    [Fact]
    public async Task Added_memory_reads_back_with_every_field()
    {
        var tenant = TestMemories.NewTenant();
        var created = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1234567);
        var memory = TestMemories.Create(tenant, new MemoryScope("alice", "agent-1", "run-9"), "Alice likes green tea 🍵",
            metadataJson: """{"category":"food","score":3,"tags":["a","b"],"nested":{"x":true}}""", createdAt: created) with
        {
            SupersededBy = "other",
        };

        await Store.AddAsync([memory], "api", None);
        var read = await Store.GetAsync(tenant, memory.Id, None);

        Assert.NotNull(read);
        Assert.Equal(memory.Id, read.Id);
        Assert.Equal(tenant, read.Tenant);
        Assert.Equal(memory.Scope, read.Scope);
        Assert.Equal(memory.Text, read.Text);
        Assert.Equal(memory.Hash, read.Hash);
        Assert.Equal(memory.Embedding.ToArray(), read.Embedding.ToArray());
        Assert.Equal(JsonSerializer.Serialize(memory.Metadata.OrderBy(p => p.Key)), JsonSerializer.Serialize(read.Metadata.OrderBy(p => p.Key)));
        Assert.Equal(memory.SourceMessageIds, read.SourceMessageIds);
        Assert.Equal("user", read.Role);
        Assert.Equal(StoredTime.Normalize(created), read.CreatedAt);
        Assert.Equal(TimeSpan.Zero, read.CreatedAt.Offset);
        Assert.Null(read.UpdatedAt);
        Assert.Null(read.InvalidAt);
        Assert.Equal("other", read.SupersededBy);
        Assert.Equal(1, await Store.CountAsync(tenant, None));
    }

    [Fact]
    public async Task Another_tenant_cannot_get_list_search_update_delete_or_see_history()
    {
        var owner = TestMemories.NewTenant();
        var intruder = TestMemories.NewTenant();
        var vector = TestVectors.Random(1);
        var memory = TestMemories.Create(owner, User("alice"), "Alice's secret is the blue door", vector);
        await Store.AddAsync([memory], "api", None);

        Assert.Null(await Store.GetAsync(intruder, memory.Id, None));
        Assert.Empty(await Store.ListAsync(intruder, User("alice"), MetadataFilter.None, 100, includeInvalid: true, None));
        Assert.Empty(await Store.SearchByVectorAsync(intruder, User("alice"), vector, MetadataFilter.None, 10, None));
        Assert.Empty(await Store.SearchByTextAsync(intruder, User("alice"), "secret blue door", MetadataFilter.None, 10, None));
        Assert.Empty(await Store.FindByHashAsync(intruder, User("alice"), memory.Hash, None));
        Assert.Null(await Store.UpdateAsync(intruder, memory.Id, new MemoryUpdate("hijacked", TestMemories.Hash("hijacked"), TestVectors.Random(2)), "x", None));
        Assert.False(await Store.DeleteAsync(intruder, memory.Id, "x", None));
        Assert.Equal(0, await Store.DeleteScopeAsync(intruder, User("alice"), "x", None));
        Assert.Empty(await Store.GetHistoryAsync(intruder, memory.Id, None));
        await Store.ResetAsync(intruder, None);
        Assert.Equal(0, await Store.CountAsync(intruder, None));

        var still = await Store.GetAsync(owner, memory.Id, None);
        Assert.NotNull(still);
        Assert.Equal(memory.Text, still.Text);
        Assert.Single(await Store.GetHistoryAsync(owner, memory.Id, None));
        Assert.Single(await Store.SearchByVectorAsync(owner, User("alice"), vector, MetadataFilter.None, 10, None));
    }

    [Fact]
    public async Task Same_id_in_two_tenants_are_two_memories()
    {
        var a = TestMemories.NewTenant();
        var b = TestMemories.NewTenant();
        var id = Guid.NewGuid().ToString();
        await Store.AddAsync([TestMemories.Create(a, User("u"), "from tenant a", id: id)], "api", None);
        await Store.AddAsync([TestMemories.Create(b, User("u"), "from tenant b", id: id)], "api", None);

        Assert.Equal("from tenant a", (await Store.GetAsync(a, id, None))!.Text);
        Assert.Equal("from tenant b", (await Store.GetAsync(b, id, None))!.Text);
        Assert.True(await Store.DeleteAsync(a, id, "api", None));
        Assert.Equal("from tenant b", (await Store.GetAsync(b, id, None))!.Text);
    }

    [Fact]
    public async Task Scope_ids_left_out_of_a_query_are_unconstrained()
    {
        var tenant = TestMemories.NewTenant();
        await Store.AddAsync(
        [
            TestMemories.Create(tenant, new MemoryScope("alice", "agent-1", "run-1"), "one"),
            TestMemories.Create(tenant, new MemoryScope("alice", "agent-2", null), "two"),
            TestMemories.Create(tenant, new MemoryScope("bob", "agent-1", "run-1"), "three"),
            TestMemories.Create(tenant, new MemoryScope(null, "agent-1", null), "four"),
        ], "api", None);

        async Task<string[]> Texts(MemoryScope scope) =>
            (await Store.ListAsync(tenant, scope, MetadataFilter.None, 100, false, None)).Select(m => m.Text).Order().ToArray();

        Assert.Equal(["one", "two"], await Texts(User("alice")));
        Assert.Equal(["four", "one", "three"], await Texts(new MemoryScope(null, "agent-1", null)));
        Assert.Equal(["one"], await Texts(new MemoryScope("alice", "agent-1", null)));
        Assert.Equal(["one", "three"], await Texts(new MemoryScope(null, null, "run-1")));
        Assert.Empty(await Texts(User("carol")));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ListAsync(tenant, new MemoryScope(null, null, null), MetadataFilter.None, 10, false, None));
    }

    [Fact]
    public async Task List_is_newest_first_and_honours_the_limit()
    {
        var tenant = TestMemories.NewTenant();
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var memories = Enumerable.Range(0, 5).Select(i => TestMemories.Create(tenant, User("u"), $"memory {i}", createdAt: start.AddMinutes(i))).ToList();
        await Store.AddAsync(memories, "api", None);

        var listed = await Store.ListAsync(tenant, User("u"), MetadataFilter.None, 3, false, None);

        Assert.Equal(["memory 4", "memory 3", "memory 2"], listed.Select(m => m.Text));
    }

    [Fact]
    public async Task Invalidated_memories_are_left_out_unless_asked_for()
    {
        var tenant = TestMemories.NewTenant();
        var vector = TestVectors.Random(10);
        var valid = TestMemories.Create(tenant, User("u"), "the user lives in Paris", TestVectors.Near(vector, 11, 0.1f));
        var stale = TestMemories.Create(tenant, User("u"), "the user lives in Lyon", vector, invalidAt: DateTimeOffset.UtcNow.AddDays(-1));
        await Store.AddAsync([valid, stale], "api", None);

        Assert.Equal([valid.Id], (await Store.ListAsync(tenant, User("u"), MetadataFilter.None, 10, false, None)).Select(m => m.Id));
        Assert.Equal(2, (await Store.ListAsync(tenant, User("u"), MetadataFilter.None, 10, true, None)).Count);
        Assert.Equal([valid.Id], (await Store.SearchByVectorAsync(tenant, User("u"), vector, MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
        Assert.Equal([valid.Id], (await Store.SearchByTextAsync(tenant, User("u"), "lives Lyon Paris", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
        Assert.Empty(await Store.FindByHashAsync(tenant, User("u"), stale.Hash, None));

        // Invalidating through an update hides a memory the same way.
        var invalidAt = DateTimeOffset.UtcNow;
        var updated = await Store.UpdateAsync(tenant, valid.Id, new MemoryUpdate(valid.Text, valid.Hash, valid.Embedding, InvalidAt: invalidAt, SupersededBy: "newer"), "api", None);
        Assert.Equal(StoredTime.Normalize(invalidAt), updated!.InvalidAt);
        Assert.Equal("newer", updated.SupersededBy);
        Assert.Empty(await Store.ListAsync(tenant, User("u"), MetadataFilter.None, 10, false, None));
        Assert.Empty(await Store.SearchByVectorAsync(tenant, User("u"), vector, MetadataFilter.None, 10, None));
        Assert.Empty(await Store.SearchByTextAsync(tenant, User("u"), "Paris", MetadataFilter.None, 10, None));
        Assert.Equal(2, await Store.CountAsync(tenant, None));
    }

    [Fact]
    public async Task Every_change_is_in_the_history_oldest_first()
    {
        var tenant = TestMemories.NewTenant();
        var memory = TestMemories.Create(tenant, User("u"), "likes tea");
        await Store.AddAsync([memory], "extraction", None);
        var update = new MemoryUpdate("likes coffee", TestMemories.Hash("likes coffee"), TestVectors.Random(5), SourceMessageIds: ["msg-3"]);
        var updated = await Store.UpdateAsync(tenant, memory.Id, update, "api", None);
        Assert.True(await Store.DeleteAsync(tenant, memory.Id, "user-7", None));

        var history = await Store.GetHistoryAsync(tenant, memory.Id, None);

        Assert.NotNull(updated);
        Assert.Equal("likes coffee", updated.Text);
        Assert.NotNull(updated.UpdatedAt);
        Assert.Equal(["msg-3"], updated.SourceMessageIds);
        Assert.Equal([MemoryEvent.Add, MemoryEvent.Update, MemoryEvent.Delete], history.Select(h => h.Event));
        Assert.All(history, h => Assert.Equal(memory.Id, h.MemoryId));
        Assert.Equal((null, "likes tea"), (history[0].OldMemory, history[0].NewMemory));
        Assert.Equal(("likes tea", "likes coffee"), (history[1].OldMemory, history[1].NewMemory));
        Assert.Equal(("likes coffee", null), (history[2].OldMemory, history[2].NewMemory));
        Assert.Equal(["extraction", "api", "user-7"], history.Select(h => h.Actor));
        Assert.Equal([false, false, true], history.Select(h => h.IsDeleted));
        Assert.Equal(["msg-1", "msg-2"], history[0].SourceMessageIds);
        Assert.Equal(["msg-3"], history[1].SourceMessageIds);
        Assert.Equal("user", history[0].Role);
        Assert.Equal(3, history.Select(h => h.Id).Distinct().Count());
        Assert.True(history[0].CreatedAt <= history[1].CreatedAt && history[1].CreatedAt <= history[2].CreatedAt);
        Assert.Null(await Store.GetAsync(tenant, memory.Id, None));
        Assert.Empty(await Store.GetHistoryAsync(tenant, "never-existed", None));
    }

    [Fact]
    public async Task Update_keeps_metadata_when_none_is_given_and_replaces_it_when_given()
    {
        var tenant = TestMemories.NewTenant();
        var memory = TestMemories.Create(tenant, User("u"), "plays chess", metadataJson: """{"topic":"hobby"}""");
        await Store.AddAsync([memory], "api", None);

        var kept = await Store.UpdateAsync(tenant, memory.Id, new MemoryUpdate("plays go", TestMemories.Hash("plays go"), TestVectors.Random(3)), "api", None);
        var replaced = await Store.UpdateAsync(tenant, memory.Id,
            new MemoryUpdate("plays go", TestMemories.Hash("plays go"), TestVectors.Random(3), TestMemories.Metadata("""{"topic":"games"}""")), "api", None);

        Assert.Equal("hobby", kept!.Metadata["topic"].GetString());
        Assert.Equal(["msg-1", "msg-2"], kept.SourceMessageIds);
        Assert.Equal("games", replaced!.Metadata["topic"].GetString());
        Assert.Equal("games", (await Store.GetAsync(tenant, memory.Id, None))!.Metadata["topic"].GetString());
    }

    [Fact]
    public async Task Update_moves_the_memory_in_both_searches()
    {
        var tenant = TestMemories.NewTenant();
        var oldVector = TestVectors.Random(20);
        var newVector = TestVectors.Random(21);
        var memory = TestMemories.Create(tenant, User("u"), "owns a bicycle", oldVector);
        var other = TestMemories.Create(tenant, User("u"), "enjoys hiking", TestVectors.Random(22));
        await Store.AddAsync([memory, other], "api", None);

        await Store.UpdateAsync(tenant, memory.Id, new MemoryUpdate("owns a motorcycle", TestMemories.Hash("owns a motorcycle"), newVector), "api", None);

        var byVector = await Store.SearchByVectorAsync(tenant, User("u"), newVector, MetadataFilter.None, 1, None);
        Assert.Equal(memory.Id, byVector[0].Memory.Id);
        Assert.Equal(1.0, byVector[0].Score, 3);
        Assert.Empty(await Store.SearchByTextAsync(tenant, User("u"), "bicycle", MetadataFilter.None, 10, None));
        Assert.Equal([memory.Id], (await Store.SearchByTextAsync(tenant, User("u"), "motorcycle", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
    }

    [Fact]
    public async Task A_second_store_on_the_same_database_sees_every_write_in_both_searches()
    {
        var tenant = TestMemories.NewTenant();
        var intruder = TestMemories.NewTenant();
        var kayakVector = TestVectors.Random(23);
        var canoeVector = TestVectors.Random(24);
        var gardenVector = TestVectors.Random(25);
        var peer = await OpenPeerAsync();
        try
        {
            // Opened before the writes: what it finds, it learned after start-up.
            Assert.Empty(await peer.SearchByTextAsync(tenant, User("u"), "kayak", MetadataFilter.None, 10, None));
            var kayak = TestMemories.Create(tenant, User("u"), "bought a red kayak", kayakVector);
            var garden = TestMemories.Create(tenant, User("u"), "planted tomatoes in the garden", gardenVector);
            var pottery = TestMemories.Create(tenant, User("u"), "signed up for a pottery class", TestVectors.Random(26));
            await Store.AddAsync([kayak, garden, pottery], "api", None);

            Assert.Equal([kayak.Id], (await peer.SearchByTextAsync(tenant, User("u"), "kayak", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
            Assert.Equal(kayak.Id, (await peer.SearchByVectorAsync(tenant, User("u"), kayakVector, MetadataFilter.None, 1, None))[0].Memory.Id);
            Assert.Empty(await peer.SearchByTextAsync(intruder, User("u"), "kayak", MetadataFilter.None, 10, None));
            Assert.Empty(await peer.SearchByVectorAsync(intruder, User("u"), kayakVector, MetadataFilter.None, 10, None));

            await Store.UpdateAsync(tenant, kayak.Id, new MemoryUpdate("bought a green canoe", TestMemories.Hash("bought a green canoe"), canoeVector), "api", None);
            Assert.Empty(await peer.SearchByTextAsync(tenant, User("u"), "kayak", MetadataFilter.None, 10, None));
            Assert.Equal([kayak.Id], (await peer.SearchByTextAsync(tenant, User("u"), "canoe", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
            var nearest = (await peer.SearchByVectorAsync(tenant, User("u"), canoeVector, MetadataFilter.None, 1, None))[0];
            Assert.Equal(kayak.Id, nearest.Memory.Id);
            Assert.Equal(1.0, nearest.Score, 3);

            await Store.DeleteAsync(tenant, garden.Id, "api", None);
            await Store.UpdateAsync(tenant, pottery.Id,
                new MemoryUpdate(pottery.Text, pottery.Hash, pottery.Embedding, InvalidAt: DateTimeOffset.UtcNow), "api", None);
            Assert.Empty(await peer.SearchByTextAsync(tenant, User("u"), "tomatoes garden pottery class", MetadataFilter.None, 10, None));
            Assert.DoesNotContain(await peer.SearchByVectorAsync(tenant, User("u"), gardenVector, MetadataFilter.None, 10, None), s => s.Memory.Id != kayak.Id);

            // And the other way round: the peer's writes reach the first store.
            var violin = TestMemories.Create(tenant, User("u"), "practised the violin", TestVectors.Random(27));
            await peer.AddAsync([violin], "api", None);
            Assert.Equal([violin.Id], (await Store.SearchByTextAsync(tenant, User("u"), "violin", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));

            await Store.ResetAsync(tenant, None);
            Assert.Empty(await peer.SearchByTextAsync(tenant, User("u"), "violin canoe", MetadataFilter.None, 10, None));
            Assert.Empty(await peer.SearchByVectorAsync(tenant, User("u"), canoeVector, MetadataFilter.None, 10, None));
        }
        finally
        {
            await ((IAsyncDisposable)peer).DisposeAsync();
        }
    }

    [Fact]
    public async Task A_second_store_moves_a_row_that_another_tenant_took_over()
    {
        // SQLite gives a deleted newest row's number to the next insert, whatever its tenant.
        var first = TestMemories.NewTenant();
        var second = TestMemories.NewTenant();
        var vector = TestVectors.Random(28);
        var peer = await OpenPeerAsync();
        try
        {
            var old = TestMemories.Create(first, User("u"), "a secret harbour", vector);
            await Store.AddAsync([old], "api", None);
            Assert.Single(await peer.SearchByTextAsync(first, User("u"), "harbour", MetadataFilter.None, 10, None));

            await Store.DeleteAsync(first, old.Id, "api", None);
            var taken = TestMemories.Create(second, User("u"), "a public harbour", vector);
            await Store.AddAsync([taken], "api", None);

            Assert.Empty(await peer.SearchByTextAsync(first, User("u"), "harbour", MetadataFilter.None, 10, None));
            Assert.Empty(await peer.SearchByVectorAsync(first, User("u"), vector, MetadataFilter.None, 10, None));
            Assert.Equal([taken.Id], (await peer.SearchByTextAsync(second, User("u"), "harbour", MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
            Assert.Equal([taken.Id], (await peer.SearchByVectorAsync(second, User("u"), vector, MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
        }
        finally
        {
            await ((IAsyncDisposable)peer).DisposeAsync();
        }
    }

    [Fact]
    public async Task Delete_scope_removes_only_that_scope_with_history()
    {
        var tenant = TestMemories.NewTenant();
        var other = TestMemories.NewTenant();
        var vector = TestVectors.Random(30);
        var aliceRun1 = TestMemories.Create(tenant, new MemoryScope("alice", null, "run-1"), "a1", vector);
        var aliceRun2 = TestMemories.Create(tenant, new MemoryScope("alice", null, "run-2"), "a2", vector);
        var bob = TestMemories.Create(tenant, User("bob"), "b1", vector);
        var otherAlice = TestMemories.Create(other, new MemoryScope("alice", null, "run-1"), "o1", vector);
        await Store.AddAsync([aliceRun1, aliceRun2, bob], "api", None);
        await Store.AddAsync([otherAlice], "api", None);

        Assert.Equal(1, await Store.DeleteScopeAsync(tenant, new MemoryScope("alice", null, "run-1"), "api", None));
        Assert.Equal(1, await Store.DeleteScopeAsync(tenant, User("alice"), "cleanup", None));

        Assert.Equal([bob.Id], (await Store.SearchByVectorAsync(tenant, new MemoryScope(null, null, null) with { UserId = "bob" }, vector, MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
        Assert.Empty(await Store.SearchByVectorAsync(tenant, User("alice"), vector, MetadataFilter.None, 10, None));
        Assert.NotNull(await Store.GetAsync(other, otherAlice.Id, None));
        var history = await Store.GetHistoryAsync(tenant, aliceRun2.Id, None);
        Assert.Equal([MemoryEvent.Add, MemoryEvent.Delete], history.Select(h => h.Event));
        Assert.Equal("cleanup", history[1].Actor);
        Assert.True(history[1].IsDeleted);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteScopeAsync(tenant, new MemoryScope(null, null, null), "api", None));
        Assert.Equal(1, await Store.CountAsync(tenant, None));
    }

    [Fact]
    public async Task Reset_empties_one_tenant_only()
    {
        var tenant = TestMemories.NewTenant();
        var other = TestMemories.NewTenant();
        var vector = TestVectors.Random(40);
        var mine = TestMemories.Create(tenant, User("u"), "mine", vector);
        var theirs = TestMemories.Create(other, User("u"), "theirs", vector);
        await Store.AddAsync([mine], "api", None);
        await Store.AddAsync([theirs], "api", None);

        await Store.ResetAsync(tenant, None);

        Assert.Equal(0, await Store.CountAsync(tenant, None));
        Assert.Empty(await Store.GetHistoryAsync(tenant, mine.Id, None));
        Assert.Empty(await Store.SearchByVectorAsync(tenant, User("u"), vector, MetadataFilter.None, 10, None));
        Assert.Equal(1, await Store.CountAsync(other, None));
        Assert.Single(await Store.GetHistoryAsync(other, theirs.Id, None));
        Assert.Single(await Store.SearchByVectorAsync(other, User("u"), vector, MetadataFilter.None, 10, None));

        // The tenant can start again after a reset.
        await Store.AddAsync([TestMemories.Create(tenant, User("u"), "again", vector)], "api", None);
        Assert.Single(await Store.SearchByVectorAsync(tenant, User("u"), vector, MetadataFilter.None, 10, None));
    }

    [Fact]
    public async Task Metadata_filters_match_by_equality_and_any_of_in_list_and_both_searches()
    {
        var tenant = TestMemories.NewTenant();
        var vector = TestVectors.Random(50);
        var food = TestMemories.Create(tenant, User("u"), "apple pie recipe", TestVectors.Near(vector, 51, 0.2f), """{"category":"food","priority":1,"flags":{"a":1,"b":[1,2]}}""");
        var work = TestMemories.Create(tenant, User("u"), "apple keynote meeting", TestVectors.Near(vector, 52, 0.2f), """{"category":"work","priority":2}""");
        var none = TestMemories.Create(tenant, User("u"), "apple orchard visit", TestVectors.Near(vector, 53, 0.2f));
        var number = TestMemories.Create(tenant, User("u"), "apple cider", TestVectors.Near(vector, 54, 0.2f), """{"category":1}""");
        await Store.AddAsync([food, work, none, number], "api", None);

        async Task<string[]> Ids(string filterJson)
        {
            var filter = TestMemories.Filter(filterJson);
            var listed = (await Store.ListAsync(tenant, User("u"), filter, 100, false, None)).Select(m => m.Id).Order().ToArray();
            var byVector = (await Store.SearchByVectorAsync(tenant, User("u"), vector, filter, 10, None)).Select(s => s.Memory.Id).Order().ToArray();
            var byText = (await Store.SearchByTextAsync(tenant, User("u"), "apple", filter, 10, None)).Select(s => s.Memory.Id).Order().ToArray();
            Assert.Equal(listed, byVector);
            Assert.Equal(listed, byText);
            return listed;
        }

        Assert.Equal(new[] { food.Id }, await Ids("""{"category":"food"}"""));
        Assert.Equal(new[] { food.Id, work.Id }.Order(), await Ids("""{"category":["food","work"]}"""));
        Assert.Equal(new[] { work.Id }, await Ids("""{"category":"work","priority":2}"""));
        Assert.Empty(await Ids("""{"category":"work","priority":1}"""));
        Assert.Equal(new[] { number.Id }, await Ids("""{"category":1}"""));
        Assert.Equal(new[] { number.Id }, await Ids("""{"category":[1, "nothing"]}"""));
        Assert.Empty(await Ids("""{"category":"1"}"""));
        Assert.Empty(await Ids("""{"category":[]}"""));
        Assert.Empty(await Ids("""{"missing":"x"}"""));
        Assert.Equal(new[] { food.Id }, await Ids("""{"flags":{"b":[1,2],"a":1}}"""));
        Assert.Empty(await Ids("""{"flags":{"a":1}}"""));
        Assert.Equal(new[] { food.Id, work.Id, none.Id, number.Id }.Order(), await Ids("{}"));
    }

    [Fact]
    public async Task Vector_search_ranks_by_cosine_and_keeps_to_the_scope()
    {
        var tenant = TestMemories.NewTenant();
        var query = TestVectors.Random(60);
        var memories = Enumerable.Range(0, 40)
            .Select(i => TestMemories.Create(tenant, User(i % 2 == 0 ? "even" : "odd"), $"memory {i}", TestVectors.Near(query, 100 + i, 0.05f * i)))
            .ToList();
        await Store.AddAsync(memories, "api", None);

        var results = await Store.SearchByVectorAsync(tenant, User("even"), query, MetadataFilter.None, 5, None);

        Assert.Equal(5, results.Count);
        Assert.All(results, r => Assert.Equal("even", r.Memory.Scope.UserId));
        var expected = memories.Where(m => m.Scope.UserId == "even")
            .OrderByDescending(m => TestVectors.Cosine(query, m.Embedding.ToArray())).Take(5).Select(m => m.Id);
        Assert.Equal(expected, results.Select(r => r.Memory.Id));
        Assert.All(results, r => Assert.Equal(TestVectors.Cosine(query, r.Memory.Embedding.ToArray()), r.Score, 4));
        Assert.True(results.Zip(results.Skip(1)).All(pair => pair.First.Score >= pair.Second.Score));
    }

    [Fact]
    public async Task A_small_scope_inside_a_large_tenant_is_not_starved_by_the_index()
    {
        var tenant = TestMemories.NewTenant();
        var query = TestVectors.Random(70);
        var crowd = Enumerable.Range(0, 1500).Select(i => TestMemories.Create(tenant, User("crowd"), $"crowd {i}", TestVectors.Near(query, 1000 + i, 0.3f)));
        var few = Enumerable.Range(0, 3).Select(i => TestMemories.Create(tenant, User("few"), $"few {i}", TestVectors.Random(5000 + i)));
        await Store.AddAsync(crowd.Concat(few).ToList(), "api", None);

        var results = await Store.SearchByVectorAsync(tenant, User("few"), query, MetadataFilter.None, 10, None);
        var filtered = await Store.SearchByVectorAsync(tenant, User("crowd"), query, TestMemories.Filter("""{"nothing":"here"}"""), 10, None);

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal("few", r.Memory.Scope.UserId));
        Assert.Empty(filtered);
    }

    [Fact]
    public async Task Text_search_matches_any_word_and_ranks_fuller_matches_first()
    {
        var tenant = TestMemories.NewTenant();
        var both = TestMemories.Create(tenant, User("u"), "Alice adopted a golden retriever puppy");
        var one = TestMemories.Create(tenant, User("u"), "Alice bought a puppy toy");
        var neither = TestMemories.Create(tenant, User("u"), "Alice works as a nurse");
        var otherScope = TestMemories.Create(tenant, User("v"), "golden retriever puppy");
        await Store.AddAsync([both, one, neither, otherScope], "api", None);

        var results = await Store.SearchByTextAsync(tenant, User("u"), "golden retriever? puppies!", MetadataFilter.None, 10, None);

        Assert.Equal([both.Id, one.Id], results.Select(r => r.Memory.Id));
        Assert.True(results[0].Score > results[1].Score);
        Assert.Single(await Store.SearchByTextAsync(tenant, User("u"), "nurse", MetadataFilter.None, 10, None));
        Assert.Single(await Store.SearchByTextAsync(tenant, User("u"), "golden", MetadataFilter.None, 1, None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\"")]
    [InlineData("'")]
    [InlineData("''")]
    [InlineData("*")]
    [InlineData("NEAR(")]
    [InlineData("AND OR NOT")]
    [InlineData("text:coffee")]
    [InlineData("{text}: coffee")]
    [InlineData("^coffee")]
    [InlineData("-coffee +coffee")]
    [InlineData("!(coffee & | tea) <-> :* \\")]
    [InlineData("'coffee' & 'tea':*A")]
    [InlineData("coffee\" OR \"x")]
    [InlineData("🙂☕🙂")]
    [InlineData("👩‍👩‍👧 coffee")]
    [InlineData("咖啡 コーヒー кофе قهوة")]
    [InlineData("café cafe\u0301 ﬁ")]
    [InlineData("a\0b coffee")]
    [InlineData("\ud800 coffee")]
    [InlineData("%_;--/* DROP TABLE memories; */")]
    [InlineData("the and of")]
    public async Task Hostile_text_queries_never_fail(string query)
    {
        var tenant = TestMemories.NewTenant();
        await Store.AddAsync([TestMemories.Create(tenant, User("u"), "Drinks black coffee every morning")], "api", None);

        var results = await Store.SearchByTextAsync(tenant, User("u"), query, MetadataFilter.None, 10, None);

        Assert.True(results.Count <= 1);
        if (query.Contains("coffee", StringComparison.Ordinal))
        {
            Assert.Single(results);
        }
    }

    [Fact]
    public async Task A_very_long_query_is_answered()
    {
        var tenant = TestMemories.NewTenant();
        await Store.AddAsync([TestMemories.Create(tenant, User("u"), "Drinks black coffee every morning")], "api", None);
        var query = "coffee " + string.Join(' ', Enumerable.Range(0, 3000).Select(i => $"word{i}")) + new string('x', 5000);

        var results = await Store.SearchByTextAsync(tenant, User("u"), query, MetadataFilter.None, 10, None);

        Assert.Single(results);
    }

    [Fact]
    public async Task Unicode_text_is_stored_and_found()
    {
        var tenant = TestMemories.NewTenant();
        var memory = TestMemories.Create(tenant, User("u"), "Ünïcödé naïve café — 東京 in 🗼 weather");
        await Store.AddAsync([memory], "api", None);

        Assert.Equal(memory.Text, (await Store.GetAsync(tenant, memory.Id, None))!.Text);
        Assert.Single(await Store.SearchByTextAsync(tenant, User("u"), "CAFÉ", MetadataFilter.None, 10, None));
    }

    public static TheoryData<float[]> BadEmbeddings() => new()
    {
        Enumerable.Repeat(0.1f, TestVectors.Dimensions - 1).Append(float.NaN).ToArray(),
        Enumerable.Repeat(0.1f, TestVectors.Dimensions - 1).Append(float.PositiveInfinity).ToArray(),
        Enumerable.Repeat(0.1f, TestVectors.Dimensions - 1).Append(float.NegativeInfinity).ToArray(),
        new float[TestVectors.Dimensions],
        TestVectors.Random(1, TestVectors.Dimensions + 1),
        TestVectors.Random(1, TestVectors.Dimensions - 1),
        Array.Empty<float>(),
    };

    [Theory]
    [MemberData(nameof(BadEmbeddings))]
    public async Task Bad_embeddings_are_rejected_before_anything_is_written(float[] embedding)
    {
        var tenant = TestMemories.NewTenant();
        var good = TestMemories.Create(tenant, User("u"), "good memory");
        var bad = TestMemories.Create(tenant, User("u"), "bad memory", embedding);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([good, bad], "api", None));
        Assert.Equal(0, await Store.CountAsync(tenant, None));

        await Store.AddAsync([good], "api", None);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpdateAsync(tenant, good.Id, new MemoryUpdate("changed", "h", embedding), "api", None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchByVectorAsync(tenant, User("u"), embedding, MetadataFilter.None, 10, None));
        var unchanged = await Store.GetAsync(tenant, good.Id, None);
        Assert.Equal("good memory", unchanged!.Text);
        Assert.Single(await Store.GetHistoryAsync(tenant, good.Id, None));
    }

    [Fact]
    public async Task A_duplicate_id_fails_the_whole_batch()
    {
        var tenant = TestMemories.NewTenant();
        var first = TestMemories.Create(tenant, User("u"), "first");
        await Store.AddAsync([first], "api", None);
        var fresh = TestMemories.Create(tenant, User("u"), "fresh");
        var clash = TestMemories.Create(tenant, User("u"), "clash", id: first.Id);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([fresh, clash], "api", None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([fresh, fresh], "api", None));

        Assert.Equal(1, await Store.CountAsync(tenant, None));
        Assert.Null(await Store.GetAsync(tenant, fresh.Id, None));
        Assert.Equal("first", (await Store.GetAsync(tenant, first.Id, None))!.Text);
        Assert.Empty(await Store.GetHistoryAsync(tenant, fresh.Id, None));
        Assert.Single(await Store.SearchByVectorAsync(tenant, User("u"), fresh.Embedding, MetadataFilter.None, 10, None));
    }

    [Fact]
    public async Task Bad_text_scope_and_limits_are_rejected()
    {
        var tenant = TestMemories.NewTenant();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([TestMemories.Create(tenant, User("u"), "   ")], "api", None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([TestMemories.Create(tenant, User("u"), "nul\0inside")], "api", None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([TestMemories.Create(tenant, new MemoryScope(null, null, null), "no scope")], "api", None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync([TestMemories.Create("", User("u"), "no tenant")], "api", None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ListAsync(tenant, User("u"), MetadataFilter.None, 0, false, None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchByTextAsync(tenant, User("u"), "x", MetadataFilter.None, 100_000, None));
        Assert.Equal(0, await Store.CountAsync(tenant, None));
    }

    [Fact]
    public async Task Find_by_hash_stays_in_the_scope()
    {
        var tenant = TestMemories.NewTenant();
        var a = TestMemories.Create(tenant, new MemoryScope("u", "agent", null), "same fact");
        var b = TestMemories.Create(tenant, new MemoryScope("v", "agent", null), "same fact");
        await Store.AddAsync([a, b], "api", None);

        Assert.Equal([a.Id], (await Store.FindByHashAsync(tenant, User("u"), a.Hash, None)).Select(m => m.Id));
        Assert.Equal(2, (await Store.FindByHashAsync(tenant, new MemoryScope(null, "agent", null), a.Hash, None)).Count);
        Assert.Empty(await Store.FindByHashAsync(tenant, User("u"), TestMemories.Hash("other"), None));
    }

    [Fact]
    public async Task Find_by_hashes_answers_a_whole_batch_like_one_lookup_per_hash()
    {
        var tenant = TestMemories.NewTenant();
        var older = DateTimeOffset.UtcNow.AddDays(-2);
        var a = TestMemories.Create(tenant, new MemoryScope("u", "agent", null), "same fact", createdAt: older);
        var b = TestMemories.Create(tenant, new MemoryScope("u", null, null), "same fact");
        var c = TestMemories.Create(tenant, new MemoryScope("u", null, null), "another fact");
        var elsewhere = TestMemories.Create(tenant, new MemoryScope("v", null, null), "third fact");
        var invalid = TestMemories.Create(tenant, new MemoryScope("u", null, null), "stale fact", invalidAt: older);
        var intruder = TestMemories.NewTenant();
        await Store.AddAsync([a, b, c, elsewhere, invalid], "api", None);
        await Store.AddAsync([TestMemories.Create(intruder, new MemoryScope("u", null, null), "same fact")], "api", None);

        string[] hashes = [a.Hash, c.Hash, a.Hash, elsewhere.Hash, invalid.Hash, TestMemories.Hash("never stored")];
        var batch = await Store.FindByHashesAsync(tenant, User("u"), hashes, None);

        var oneByOne = new List<string>();
        foreach (var hash in hashes.Distinct())
        {
            oneByOne.AddRange((await Store.FindByHashAsync(tenant, User("u"), hash, None)).Select(m => m.Id));
        }

        Assert.Equal(oneByOne.Order(), batch.Select(m => m.Id).Order());
        Assert.Equal(new[] { a.Id, b.Id, c.Id }.Order(), batch.Select(m => m.Id).Order());
        Assert.Equal(a.Id, batch[0].Id); // oldest first, as FindByHashAsync
        Assert.Equal(a.Embedding.ToArray(), batch[0].Embedding.ToArray());
        Assert.Empty(await Store.FindByHashesAsync(tenant, User("u"), [], None));
        Assert.Empty(await Store.FindByHashesAsync(intruder, User("nobody"), hashes, None));
        Assert.Single(await Store.FindByHashesAsync(intruder, User("u"), hashes, None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.FindByHashesAsync(tenant, User("u"), [a.Hash, ""], None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.FindByHashesAsync(tenant, new MemoryScope(null, null, null), [a.Hash], None));
    }

    [Fact]
    public async Task Find_by_hashes_takes_thousands_of_hashes_in_one_call()
    {
        var tenant = TestMemories.NewTenant();
        var stored = Enumerable.Range(0, 50).Select(i => TestMemories.Create(tenant, User("u"), $"fact number {i}")).ToList();
        await Store.AddAsync(stored, "api", None);

        var hashes = Enumerable.Range(0, 5_000).Select(i => TestMemories.Hash($"fact number {i}")).ToList();
        var found = await Store.FindByHashesAsync(tenant, User("u"), hashes, None);

        Assert.Equal(stored.Select(m => m.Id).Order(), found.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task A_large_batch_failing_at_its_last_row_stores_nothing()
    {
        var tenant = TestMemories.NewTenant();
        var first = TestMemories.Create(tenant, User("u"), "already here");
        await Store.AddAsync([first], "api", None);
        var batch = Enumerable.Range(0, 500).Select(i => TestMemories.Create(tenant, User("u"), $"batch memory {i} about kayaks")).ToList();
        batch.Add(TestMemories.Create(tenant, User("u"), "clash", id: first.Id));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.AddAsync(batch, "api", None));

        Assert.Equal(1, await Store.CountAsync(tenant, None));
        Assert.Empty(await Store.GetHistoryAsync(tenant, batch[0].Id, None));
        Assert.Empty(await Store.GetHistoryAsync(tenant, batch[499].Id, None));
        Assert.Empty(await Store.SearchByTextAsync(tenant, User("u"), "kayaks", MetadataFilter.None, 10, None));
        Assert.Equal([first.Id], (await Store.SearchByVectorAsync(tenant, User("u"), batch[7].Embedding, MetadataFilter.None, 10, None)).Select(s => s.Memory.Id));
        Assert.Empty(await Store.FindByHashesAsync(tenant, User("u"), batch.Select(m => m.Hash).ToList(), None));
    }

    [Fact]
    public async Task Concurrent_writers_and_readers_lose_nothing()
    {
        var tenant = TestMemories.NewTenant();
        var query = TestVectors.Random(80);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var batch = 0; batch < 5; batch++)
            {
                var memories = Enumerable.Range(0, 10)
                    .Select(i => TestMemories.Create(tenant, User($"user-{w % 2}"), $"writer {w} batch {batch} item {i}", TestVectors.Random((w * 1000) + (batch * 10) + i)))
                    .ToList();
                await Store.AddAsync(memories, "api", None);
            }
        }));
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await Store.SearchByVectorAsync(tenant, User($"user-{r % 2}"), query, MetadataFilter.None, 10, None);
                await Store.SearchByTextAsync(tenant, User($"user-{r % 2}"), "writer batch", MetadataFilter.None, 10, None);
            }
        }));

        await Task.WhenAll(writers.Concat(readers));

        Assert.Equal(400, await Store.CountAsync(tenant, None));
        Assert.Equal(200, (await Store.ListAsync(tenant, User("user-0"), MetadataFilter.None, 1000, false, None)).Count);
        Assert.Equal(50, (await Store.SearchByVectorAsync(tenant, User("user-1"), query, MetadataFilter.None, 50, None)).Count);
    }

    [Fact]
    public async Task Initialize_and_ping_can_be_repeated()
    {
        await Store.InitializeAsync(None);
        await Store.InitializeAsync(None);
        Assert.True(await Store.PingAsync(None));
        Assert.False(string.IsNullOrEmpty(Store.Name));
    }
}
