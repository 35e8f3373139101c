using Memory.KvCache.Tiers;

namespace Memory.KvCache.Tests;

public sealed class HostBlockTierTests
{
    [Fact]
    public void Least_recently_released_unpinned_unreferenced_blocks_are_evicted_first()
    {
        var model = TestBlocks.Model();
        var blocks = TestBlocks.Chain(model, TestBlocks.Tokens(80, 1), 16);
        long size = blocks[0].RawBytes;
        var pins = new PinSet();
        var host = new HostBlockTier(size * 3, pins);
        Assert.Empty(host.Add(blocks[0], acquire: false));
        Assert.Empty(host.Add(blocks[1], acquire: true));
        Assert.Empty(host.Add(blocks[2], acquire: false));
        pins.Set(blocks[2].Key, true);

        // Over budget: block 0 is the only unreferenced, unpinned block.
        var evicted = host.Add(blocks[3], acquire: false);
        Assert.Equal([blocks[0].Key], evicted.Select(b => b.Key));
        Assert.True(host.Contains(blocks[1].Key));
        Assert.True(host.Contains(blocks[2].Key));

        // Touching block 3 (acquire + release) makes block 1's release the older one.
        Assert.True(host.TryAcquire(blocks[3].Key, out _));
        Assert.Empty(host.Release(blocks[1].Key));
        Assert.Empty(host.Release(blocks[3].Key));
        evicted = host.Add(blocks[4], acquire: false);
        Assert.Equal([blocks[1].Key], evicted.Select(b => b.Key));
        Assert.True(host.Bytes <= host.BudgetBytes);
    }

    [Fact]
    public void A_block_in_use_is_admitted_over_budget_but_an_unused_one_is_not()
    {
        var model = TestBlocks.Model();
        var blocks = TestBlocks.Chain(model, TestBlocks.Tokens(32, 2), 16);
        var host = new HostBlockTier(blocks[0].RawBytes, new PinSet());
        Assert.Empty(host.Add(blocks[0], acquire: true));
        Assert.Empty(host.Add(blocks[1], acquire: true));
        Assert.Equal(2, host.Count);
        // Releasing one puts the tier over budget with a candidate: it goes.
        Assert.Single(host.Release(blocks[0].Key));
        Assert.False(host.Contains(blocks[0].Key));
        Assert.Equal([blocks[0].Key], host.Add(blocks[0], acquire: false).Select(b => b.Key));
    }

    [Fact]
    public void Hits_and_misses_are_counted()
    {
        var model = TestBlocks.Model();
        var blocks = TestBlocks.Chain(model, TestBlocks.Tokens(16, 3), 16);
        var host = new HostBlockTier(1 << 20, new PinSet());
        host.Add(blocks[0], acquire: false);
        Assert.True(host.TryAcquire(blocks[0].Key, out var block));
        Assert.Same(blocks[0], block);
        Assert.False(host.TryAcquire(Blocks.BlockKey.Root, out _));
        var stats = host.Stats();
        Assert.Equal((1L, 1L, 1L), (stats.Hits, stats.Misses, stats.Blocks));
        Assert.Equal(0.5, stats.HitRate);
    }
}
