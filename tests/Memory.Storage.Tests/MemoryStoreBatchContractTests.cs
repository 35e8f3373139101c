using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Storage;

namespace Memory.Storage.Tests;

/// <summary>
/// The contract of <see cref="IMemoryStore.ApplyAsync"/> (one transaction, one history row per change, all or
/// nothing) and <see cref="IMemoryStore.ListValidAtAsync"/> (validity intervals), passed by both stores.
/// </summary>
public abstract class MemoryStoreBatchContractTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly MemoryScope Alice = new("alice", null, null);
    private static readonly DateTimeOffset May1 = new(2024, 5, 1, 9, 0, 0, TimeSpan.Zero);

    protected abstract IMemoryStore Store { get; }

    [Fact]
    public async Task A_mixed_batch_applies_every_change_with_its_history_row()
    {
        var tenant = TestMemories.NewTenant();
        var toUpdate = TestMemories.Create(tenant, Alice, "Alice likes pizza", createdAt: May1);
        var toInvalidate = TestMemories.Create(tenant, Alice, "Alice lives in Paris", createdAt: May1);
        var toDelete = TestMemories.Create(tenant, Alice, "Alice's PIN is 1234", createdAt: May1);
        var toConfirm = TestMemories.Create(tenant, Alice, "Alice has a cat", createdAt: May1);
        await Store.AddAsync([toUpdate, toInvalidate, toDelete, toConfirm], "api", None);

        var moved = May1.AddDays(10);
        var replacement = TestMemories.Create(tenant, Alice, "Alice lives in Berlin", createdAt: moved) with { SourceMessageIds = ["m-7"] };
        var newVector = TestVectors.Random(77);
        await Store.ApplyAsync(tenant,
        [
            MemoryOperation.Add(replacement),
            MemoryOperation.Change(toUpdate.Id, new MemoryUpdate("Alice likes pepperoni pizza", TestMemories.Hash("Alice likes pepperoni pizza"), newVector,
                SourceMessageIds: ["msg-1", "msg-2", "m-8"]), ["m-8"]),
            MemoryOperation.Invalidate(toInvalidate.Id, moved, replacement.Id, replacement.Text, ["m-7"]),
            MemoryOperation.Delete(toDelete.Id, ["m-9"]),
            MemoryOperation.Confirm(toConfirm.Id, ["m-10"]),
        ], "extraction", None);

        var added = await Store.GetAsync(tenant, replacement.Id, None);
        Assert.NotNull(added);
        var addHistory = Assert.Single(await Store.GetHistoryAsync(tenant, replacement.Id, None));
        Assert.Equal(MemoryEvent.Add, addHistory.Event);
        Assert.Equal("extraction", addHistory.Actor);
        Assert.Equal(["m-7"], addHistory.SourceMessageIds);

        var updated = await Store.GetAsync(tenant, toUpdate.Id, None);
        Assert.NotNull(updated);
        Assert.Equal("Alice likes pepperoni pizza", updated.Text);
        Assert.Equal(["msg-1", "msg-2", "m-8"], updated.SourceMessageIds);
        Assert.NotNull(updated.UpdatedAt);
        var updateHistory = (await Store.GetHistoryAsync(tenant, toUpdate.Id, None))[^1];
        Assert.Equal(MemoryEvent.Update, updateHistory.Event);
        Assert.Equal("Alice likes pizza", updateHistory.OldMemory);
        Assert.Equal("Alice likes pepperoni pizza", updateHistory.NewMemory);
        Assert.Equal(["m-8"], updateHistory.SourceMessageIds);

        var invalidated = await Store.GetAsync(tenant, toInvalidate.Id, None);
        Assert.NotNull(invalidated);
        Assert.Equal("Alice lives in Paris", invalidated.Text);
        Assert.Equal(moved, invalidated.InvalidAt);
        Assert.Equal(replacement.Id, invalidated.SupersededBy);
        var invalidateHistory = (await Store.GetHistoryAsync(tenant, toInvalidate.Id, None))[^1];
        Assert.Equal(MemoryEvent.Invalidate, invalidateHistory.Event);
        Assert.Equal("Alice lives in Paris", invalidateHistory.OldMemory);
        Assert.Equal("Alice lives in Berlin", invalidateHistory.NewMemory);
        Assert.False(invalidateHistory.IsDeleted);

        Assert.Null(await Store.GetAsync(tenant, toDelete.Id, None));
        var deleteHistory = (await Store.GetHistoryAsync(tenant, toDelete.Id, None))[^1];
        Assert.Equal(MemoryEvent.Delete, deleteHistory.Event);
        Assert.True(deleteHistory.IsDeleted);
        Assert.Equal(["m-9"], deleteHistory.SourceMessageIds);

        var confirmHistory = await Store.GetHistoryAsync(tenant, toConfirm.Id, None);
        Assert.Equal([MemoryEvent.Add, MemoryEvent.None], confirmHistory.Select(h => h.Event));
        Assert.Equal("Alice has a cat", confirmHistory[1].OldMemory);
        Assert.Equal(["m-10"], confirmHistory[1].SourceMessageIds);

        // The vector index follows: the updated vector is found, the invalidated and deleted memories are not.
        var nearest = await Store.SearchByVectorAsync(tenant, Alice, newVector, MetadataFilter.None, 1, None);
        Assert.Equal(toUpdate.Id, Assert.Single(nearest).Memory.Id);
        Assert.DoesNotContain(await Store.SearchByVectorAsync(tenant, Alice, toInvalidate.Embedding, MetadataFilter.None, 10, None),
            s => s.Memory.Id == toInvalidate.Id || s.Memory.Id == toDelete.Id);
        Assert.Empty(await Store.FindByHashAsync(tenant, Alice, toInvalidate.Hash, None));
        Assert.DoesNotContain(await Store.ListAsync(tenant, Alice, MetadataFilter.None, 100, includeInvalid: false, None), m => m.Id == toInvalidate.Id);
        Assert.Contains(await Store.ListAsync(tenant, Alice, MetadataFilter.None, 100, includeInvalid: true, None), m => m.Id == toInvalidate.Id);
    }

    [Fact]
    public async Task A_batch_naming_a_missing_memory_applies_nothing()
    {
        var tenant = TestMemories.NewTenant();
        var kept = TestMemories.Create(tenant, Alice, "Alice likes tea", createdAt: May1);
        await Store.AddAsync([kept], "api", None);
        var fresh = TestMemories.Create(tenant, Alice, "Alice likes coffee", createdAt: May1);

        var conflict = await Assert.ThrowsAsync<MemoryConflictException>(() => Store.ApplyAsync(tenant,
        [
            MemoryOperation.Add(fresh),
            MemoryOperation.Invalidate(kept.Id, May1.AddDays(1), fresh.Id, fresh.Text, ["m-1"]),
            MemoryOperation.Change("no-such-memory", new MemoryUpdate("x", TestMemories.Hash("x"), TestVectors.Random(3)), ["m-1"]),
        ], "extraction", None));

        Assert.Equal("no-such-memory", conflict.MemoryId);
        Assert.Null(await Store.GetAsync(tenant, fresh.Id, None));
        Assert.Empty(await Store.GetHistoryAsync(tenant, fresh.Id, None));
        var still = await Store.GetAsync(tenant, kept.Id, None);
        Assert.NotNull(still);
        Assert.Null(still.InvalidAt);
        Assert.Single(await Store.GetHistoryAsync(tenant, kept.Id, None));
        Assert.Contains(await Store.SearchByVectorAsync(tenant, Alice, kept.Embedding, MetadataFilter.None, 5, None), s => s.Memory.Id == kept.Id);
    }

    [Fact]
    public async Task Invalidating_twice_or_across_tenants_is_a_conflict()
    {
        var tenant = TestMemories.NewTenant();
        var other = TestMemories.NewTenant();
        var memory = TestMemories.Create(tenant, Alice, "Alice works at Acme", createdAt: May1);
        await Store.AddAsync([memory], "api", None);

        await Assert.ThrowsAsync<MemoryConflictException>(() => Store.ApplyAsync(other,
            [MemoryOperation.Invalidate(memory.Id, May1.AddDays(1), null, null, [])], "x", None));
        await Assert.ThrowsAsync<MemoryConflictException>(() => Store.ApplyAsync(other, [MemoryOperation.Delete(memory.Id, [])], "x", None));
        await Assert.ThrowsAsync<MemoryConflictException>(() => Store.ApplyAsync(other, [MemoryOperation.Confirm(memory.Id, [])], "x", None));
        Assert.Single(await Store.GetHistoryAsync(tenant, memory.Id, None));

        await Store.ApplyAsync(tenant, [MemoryOperation.Invalidate(memory.Id, May1.AddDays(1), null, null, [])], "x", None);
        await Assert.ThrowsAsync<MemoryConflictException>(() => Store.ApplyAsync(tenant,
            [MemoryOperation.Invalidate(memory.Id, May1.AddDays(2), null, null, [])], "x", None));
        var read = await Store.GetAsync(tenant, memory.Id, None);
        Assert.Equal(May1.AddDays(1), read!.InvalidAt);
    }

    [Fact]
    public async Task Adding_an_existing_id_is_refused_and_applies_nothing()
    {
        var tenant = TestMemories.NewTenant();
        var memory = TestMemories.Create(tenant, Alice, "Alice reads", createdAt: May1);
        await Store.AddAsync([memory], "api", None);
        var other = TestMemories.Create(tenant, Alice, "Alice swims", createdAt: May1);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync(tenant,
            [MemoryOperation.Add(other), MemoryOperation.Add(memory with { Text = "dup" })], "x", None));
        Assert.Null(await Store.GetAsync(tenant, other.Id, None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ApplyAsync("another-tenant", [MemoryOperation.Add(other)], "x", None));
    }

    [Fact]
    public async Task Valid_at_returns_what_held_at_that_instant()
    {
        var tenant = TestMemories.NewTenant();
        var paris = TestMemories.Create(tenant, Alice, "Alice lives in Paris", createdAt: May1);
        var cat = TestMemories.Create(tenant, Alice, "Alice has a cat", createdAt: May1.AddDays(-30));
        var bob = TestMemories.Create(tenant, new MemoryScope("bob", null, null), "Bob lives in Rome", createdAt: May1);
        await Store.AddAsync([paris, cat, bob], "api", None);
        var berlin = TestMemories.Create(tenant, Alice, "Alice lives in Berlin", createdAt: May1.AddDays(10));
        await Store.ApplyAsync(tenant,
        [
            MemoryOperation.Add(berlin),
            MemoryOperation.Invalidate(paris.Id, May1.AddDays(10), berlin.Id, berlin.Text, []),
        ], "extraction", None);

        async Task<string[]> At(DateTimeOffset instant) =>
            [.. (await Store.ListValidAtAsync(tenant, Alice, MetadataFilter.None, instant, 100, None)).Select(m => m.Text)];

        Assert.Empty(await At(May1.AddDays(-31)));
        Assert.Equal(["Alice has a cat"], await At(May1.AddSeconds(-1)));
        Assert.Equal(["Alice lives in Paris", "Alice has a cat"], await At(May1));
        Assert.Equal(["Alice lives in Paris", "Alice has a cat"], await At(May1.AddDays(10).AddTicks(-10)));
        Assert.Equal(["Alice lives in Berlin", "Alice has a cat"], await At(May1.AddDays(10)));
        Assert.Equal(["Alice lives in Berlin", "Alice has a cat"], await At(May1.AddYears(1)));
        Assert.Empty(await Store.ListValidAtAsync(TestMemories.NewTenant(), Alice, MetadataFilter.None, May1.AddYears(1), 100, None));
        Assert.Single(await Store.ListValidAtAsync(tenant, Alice, MetadataFilter.None, May1.AddYears(1), 1, None));
    }
}
