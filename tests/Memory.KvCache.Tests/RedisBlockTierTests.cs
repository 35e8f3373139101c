using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Memory.KvCache.Tests;

public sealed class RedisBlockTierTests
{
    private readonly string _prefix = $"memory:kv-test:{Guid.NewGuid():N}:";

    [Fact]
    public async Task Values_round_trip_expire_and_respect_the_size_limit()
    {
        using var redis = RedisBlockTier.Connect(TestServers.Redis, TimeSpan.FromSeconds(5));
        using var tier = new RedisBlockTier(redis, _prefix, TimeSpan.FromSeconds(30), 1000, KvCodecPreset.Balanced, NullLogger.Instance);
        Assert.True(tier.IsUp, "Redis at " + TestServers.Redis + " is not reachable (start it with tests/infra/up.sh)");
        var key = TestBlocks.Chain(TestBlocks.Model(), TestBlocks.Tokens(16, 1), 16)[0].Key;
        var data = Enumerable.Range(0, 900).Select(i => (byte)i).ToArray();

        Assert.True(await tier.PutAsync(key, data, CancellationToken.None));
        Assert.Equal(data, await tier.GetAsync(key, CancellationToken.None));
        Assert.True(await tier.ContainsAsync(key, CancellationToken.None));
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(_prefix + key.Hex);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        var big = BlockKey.Parse(new string('a', 64));
        Assert.False(await tier.PutAsync(big, new byte[1001], CancellationToken.None));
        Assert.Null(await tier.GetAsync(big, CancellationToken.None));

        await tier.RemoveAsync(key, CancellationToken.None);
        Assert.Null(await tier.GetAsync(key, CancellationToken.None));
        var stats = tier.Stats();
        Assert.Equal(KvTierStatus.Up, stats.Status);
        Assert.Equal((1L, 2L), (stats.Hits, stats.Misses));
    }

    [Fact]
    public async Task An_unreachable_redis_misses_skips_writes_and_reports_down()
    {
        using var redis = RedisBlockTier.Connect(TestServers.UnreachableRedis, TimeSpan.FromMilliseconds(300));
        using var tier = new RedisBlockTier(redis, _prefix, TimeSpan.FromMinutes(1), 1 << 20, KvCodecPreset.Balanced, NullLogger.Instance);
        var key = BlockKey.Parse(new string('b', 64));
        Assert.False(await tier.PutAsync(key, [1, 2, 3], CancellationToken.None));
        Assert.Null(await tier.GetAsync(key, CancellationToken.None));
        Assert.False(await tier.ContainsAsync(key, CancellationToken.None));
        var stats = tier.Stats();
        Assert.Equal(KvTierStatus.Down, stats.Status);
        Assert.Contains("unreachable", stats.Detail, StringComparison.Ordinal);
    }
}
