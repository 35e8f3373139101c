using Memory.KvCache.Metadata;

namespace Memory.KvCache.Tests;

/// <summary>What every KV metadata store must do (SQLite and PostgreSQL run the same tests).</summary>
public abstract class KvMetadataContract : IAsyncLifetime
{
    protected IKvMetadataStore Store { get; private set; } = null!;

    protected abstract Task<IKvMetadataStore> OpenAsync();

    public async Task InitializeAsync()
    {
        Store = await OpenAsync();
        await Store.InitializeAsync(CancellationToken.None);
        await Store.InitializeAsync(CancellationToken.None);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Rows_are_counted_refreshed_and_touched()
    {
        await Store.RecordAsync(Row("k1", tenant: "a", conversation: "c1"), CancellationToken.None);
        await Store.RecordAsync(Row("k2", tenant: "a", conversation: "c1"), CancellationToken.None);
        await Store.RecordAsync(Row("k1", tenant: "a", conversation: null, stored: 250), CancellationToken.None);
        await Store.RecordAsync(Row("k2", tenant: "a", conversation: null, stored: 50), CancellationToken.None);
        await Store.TouchAsync(["k1", "k1", "missing"], CancellationToken.None);
        var summary = await Store.SummaryAsync(CancellationToken.None);
        Assert.Equal(2, summary.Blocks);
        Assert.Equal(2000, summary.RawBytes);
        // The largest encoding any tier holds counts (a lossless disk copy outweighs a compact Redis one).
        Assert.Equal(350, summary.StoredBytes);
        Assert.True(summary.Hits >= 1);

        // The same tenant refreshing a row without a conversation keeps the row's conversation.
        Assert.Equal(["k1", "k2"], (await Store.DeleteAsync("a", null, "c1", CancellationToken.None)).Order());
    }

    [Fact]
    public async Task A_tenant_deletes_only_what_it_produced()
    {
        await Store.RecordAsync(Row("a1", tenant: "a", conversation: "chat"), CancellationToken.None);
        await Store.RecordAsync(Row("b1", tenant: "b", conversation: "chat"), CancellationToken.None);
        await Store.RecordAsync(Row("b2", tenant: "b", conversation: "other"), CancellationToken.None);

        Assert.Equal(["b1"], await Store.DeleteAsync("b", null, "chat", CancellationToken.None));
        Assert.Equal(["a1"], await Store.DeleteAsync("a", "model", null, CancellationToken.None));
        Assert.Empty(await Store.DeleteAsync("a", "model", null, CancellationToken.None));
        Assert.Equal(1, (await Store.SummaryAsync(CancellationToken.None)).Blocks);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync("a", null, null, CancellationToken.None));
    }

    [Fact]
    public async Task Pins_belong_to_tenants_and_a_block_stays_pinned_while_any_tenant_pins_it()
    {
        await Store.RecordAsync(Row("p1", tenant: "a", conversation: "chat"), CancellationToken.None);
        Assert.Equal(1, await Store.SetPinnedAsync("a", ["p1", "future"], pinned: true, CancellationToken.None));
        Assert.Equal(1, await Store.SetPinnedAsync("b", ["p1"], pinned: true, CancellationToken.None));
        Assert.Equal(["future", "p1"], (await Store.PinnedKeysAsync(CancellationToken.None)).Order());

        // b's unpin leaves a's pin in place.
        await Store.SetPinnedAsync("b", ["p1"], pinned: false, CancellationToken.None);
        Assert.Equal(["p1"], await Store.StillPinnedAsync(["p1"], CancellationToken.None));
        Assert.Equal(1, (await Store.SummaryAsync(CancellationToken.None)).PinnedBlocks);

        // A block pinned before it existed reads as pinned once stored.
        await Store.RecordAsync(Row("future", tenant: "c", conversation: null), CancellationToken.None);
        Assert.Equal(2, (await Store.SummaryAsync(CancellationToken.None)).PinnedBlocks);

        // Another tenant's pin keeps a block alive through the producer's delete; the producer's own pins go with it.
        await Store.SetPinnedAsync("b", ["p1"], pinned: true, CancellationToken.None);
        Assert.Empty(await Store.DeleteAsync("a", null, "chat", CancellationToken.None));
        Assert.Equal(["p1"], await Store.StillPinnedAsync(["p1"], CancellationToken.None));
        await Store.SetPinnedAsync("b", ["p1"], pinned: false, CancellationToken.None);
        Assert.Empty(await Store.StillPinnedAsync(["p1"], CancellationToken.None));
        Assert.Equal(["p1"], await Store.DeleteAsync("a", null, "chat", CancellationToken.None));

        // An operator's delete (no tenant) takes every pin on what it deletes.
        await Store.SetPinnedAsync("c", ["future"], pinned: true, CancellationToken.None);
        Assert.Equal(["future"], await Store.DeleteAsync(null, "model", null, CancellationToken.None));
        Assert.Empty(await Store.StillPinnedAsync(["future"], CancellationToken.None));
    }

    private static KvBlockRecord Row(string key, string tenant, string? conversation, long stored = 100) =>
        new(key, "prefix", "model", 16, 1000, stored, tenant, conversation, null);
}
