using Memory.Inference.Serving;
using Memory.KvCache.Codec;
using Memory.KvCache.Metadata;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.KvCache.Tests;

/// <summary>
/// The generation loop over a real KV cache on the tiny reference model: prompts that share a prefix skip its
/// prefill, from host memory, from disk after a restart, and from Redis on another server, and continue exactly like
/// a full prefill; a corrupt block is recomputed, never used.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class PrefixReuseTests(CpuAccelerator cpu) : IDisposable
{
    // 3 full blocks of 16 and 5 more tokens: at most 48 tokens can come from the cache.
    private static readonly int[] Prompt = TinyModel.Prompt(53, seed: 7);

    private readonly string _directory = Directory.CreateTempSubdirectory("kv-reuse-").FullName;
    private readonly string _redisPrefix = $"memory:kv-reuse-test:{Guid.NewGuid():N}:";

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_repeated_prompt_reuses_its_full_blocks_and_continues_like_a_full_prefill()
    {
        using var decoder = TinyModel.Open();
        var expected = await BaselineAsync(decoder);
        using var store = Store(disk: false);
        await using var scheduler = TinyModel.Scheduler(decoder, new KvPrefixCache(store, isolateTenants: false));

        var first = await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt));
        Assert.Equal(0, first.Summary.CachedPromptTokens);
        Assert.Equal(expected, first.Tokens);
        await scheduler.DrainStoresAsync(CancellationToken.None);

        var second = await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt));
        Assert.Equal(48, second.Summary.CachedPromptTokens);
        Assert.Equal(["host", "host", "host"], second.Summary.CachedFrom);
        Assert.Equal(expected, second.Tokens);

        // A prompt that shares only the first block reuses only that block.
        var forked = Prompt.ToArray();
        forked[20] = forked[20] == 11 ? 12 : 11;
        var third = await TinyModel.RunAsync(scheduler, TinyModel.Greedy(forked));
        Assert.Equal(16, third.Summary.CachedPromptTokens);

        var stats = await store.StatsAsync(CancellationToken.None);
        Assert.True(stats.BlocksReused >= 4);
    }

    // 16: the run's three blocks in one codec batch; 1: three batches, each decoding while the next is read.
    [Theory]
    [InlineData(16)]
    [InlineData(1)]
    public async Task After_a_restart_the_blocks_come_back_from_the_disk_tier(int batchBlocks)
    {
        using var decoder = TinyModel.Open();
        var expected = await BaselineAsync(decoder);
        using (var store = Store(disk: true))
        {
            await using var scheduler = TinyModel.Scheduler(decoder, new KvPrefixCache(store, isolateTenants: false));
            await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt));
            await scheduler.DrainStoresAsync(CancellationToken.None);
        }

        using var restarted = Store(disk: true, batchBlocks: batchBlocks);
        await using var again = TinyModel.Scheduler(decoder, new KvPrefixCache(restarted, isolateTenants: false));
        var result = await TinyModel.RunAsync(again, TinyModel.Greedy(Prompt));
        Assert.Equal(48, result.Summary.CachedPromptTokens);
        Assert.Equal(["disk", "disk", "disk"], result.Summary.CachedFrom);
        Assert.Equal(expected, result.Tokens);

        // The three blocks came as one lower-tier run, and its bytes and phases were counted.
        var reads = (await restarted.StatsAsync(CancellationToken.None)).LowerTierReads;
        Assert.Equal(1, reads.Runs);
        Assert.Equal(3, reads.Blocks);
        Assert.True(reads.Bytes > 0);
        Assert.True(reads.ReadMs >= 0 && reads.DecodeMs >= 0 && reads.AdoptMs >= 0 && reads.DecodeWorkMs > 0, $"read {reads.ReadMs} ms, decode waited {reads.DecodeMs} ms, adopt {reads.AdoptMs} ms, decode work {reads.DecodeWorkMs} ms");
        Assert.True(reads.DecodePhasesMs["Envelope"] > 0 && reads.DecodePhasesMs["Headers"] > 0, string.Join(", ", reads.DecodePhasesMs));
    }

    [Fact]
    public async Task Another_server_on_the_same_redis_reuses_the_blocks()
    {
        using var decoder = TinyModel.Open();
        var expected = await BaselineAsync(decoder);
        using (var serverA = Store(disk: false, redis: true))
        {
            await using var scheduler = TinyModel.Scheduler(decoder, new KvPrefixCache(serverA, isolateTenants: false));
            await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt));
            await scheduler.DrainStoresAsync(CancellationToken.None);
        }

        // Server B: its own host memory and metadata file, no disk; only Redis is shared.
        using var serverB = Store(disk: false, redis: true, metadataFile: "b.db");
        await using var other = TinyModel.Scheduler(decoder, new KvPrefixCache(serverB, isolateTenants: false));
        var result = await TinyModel.RunAsync(other, TinyModel.Greedy(Prompt));
        Assert.Equal(["redis", "redis", "redis"], result.Summary.CachedFrom);
        Assert.Equal(expected, result.Tokens);
    }

    // 1: the corrupt block is in the run's second codec batch, after a good one has already decoded.
    [Theory]
    [InlineData(16)]
    [InlineData(1)]
    public async Task A_corrupt_block_on_disk_is_dropped_and_recomputed(int batchBlocks)
    {
        using var decoder = TinyModel.Open();
        var expected = await BaselineAsync(decoder);
        string secondBlock;
        using (var store = Store(disk: true))
        {
            await using var scheduler = TinyModel.Scheduler(decoder, new KvPrefixCache(store, isolateTenants: false));
            await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt));
            await scheduler.DrainStoresAsync(CancellationToken.None);
            var keys = Blocks.BlockKeyChain.Keys(Prompt, new KvPrefixCache(store, false).ModelFor(decoder.Identity, "t1"), TinyModel.BlockSize);
            secondBlock = new DiskBlockTier(Path.Combine(_directory, "disk"), long.MaxValue, KvCodecPreset.Lossless, new PinSet(), NullLogger.Instance).PathOf(keys[1]);
        }

        var bytes = await File.ReadAllBytesAsync(secondBlock);
        bytes[bytes.Length / 2] ^= 0x5A;
        await File.WriteAllBytesAsync(secondBlock, bytes);

        using var restarted = Store(disk: true, batchBlocks: batchBlocks);
        await using var again = TinyModel.Scheduler(decoder, new KvPrefixCache(restarted, isolateTenants: false));
        var result = await TinyModel.RunAsync(again, TinyModel.Greedy(Prompt));
        Assert.Equal(16, result.Summary.CachedPromptTokens);
        Assert.Equal(expected, result.Tokens);
        Assert.Equal(1, (await restarted.StatsAsync(CancellationToken.None)).CorruptBlocksDropped);
        Assert.False(File.Exists(secondBlock) && (await File.ReadAllBytesAsync(secondBlock)).SequenceEqual(bytes), "the corrupt file is still served");
    }

    [Fact]
    public async Task With_isolated_tenants_another_tenant_does_not_reuse_the_prefix()
    {
        using var decoder = TinyModel.Open();
        using var store = Store(disk: false);
        await using var scheduler = TinyModel.Scheduler(decoder, new KvPrefixCache(store, isolateTenants: true));
        await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt, tenant: "alpha"));
        await scheduler.DrainStoresAsync(CancellationToken.None);

        var other = await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt, tenant: "beta"));
        var same = await TinyModel.RunAsync(scheduler, TinyModel.Greedy(Prompt, tenant: "alpha"));
        Assert.Equal(0, other.Summary.CachedPromptTokens);
        Assert.Equal(48, same.Summary.CachedPromptTokens);
        Assert.Equal(same.Tokens, other.Tokens);
    }

    private static async Task<List<int>> BaselineAsync(Inference.Decoding.LlamaDecoder decoder)
    {
        await using var plain = TinyModel.Scheduler(decoder, cache: null);
        return (await TinyModel.RunAsync(plain, TinyModel.Greedy(Prompt))).Tokens;
    }

    private KvCacheStore Store(bool disk, bool redis = false, string metadataFile = "a.db", int batchBlocks = KvCacheStore.DefaultLowerTierBatchBlocks)
    {
        var pins = new PinSet();
        return new KvCacheStore(
            TinyModel.BlockSize,
            cpu.Codec,
            new SqliteKvMetadataStore(Path.Combine(_directory, metadataFile)),
            new HostBlockTier(64L << 20, pins),
            pins,
            disk ? new DiskBlockTier(Path.Combine(_directory, "disk"), 1L << 30, KvCodecPreset.Lossless, pins, NullLogger.Instance) : null,
            redis ? new RedisBlockTier(RedisBlockTier.Connect(TestServers.Redis, TimeSpan.FromSeconds(5)), _redisPrefix, TimeSpan.FromMinutes(5), 1L << 24, KvCodecPreset.Lossless, NullLogger.Instance) : null,
            diskWriteThrough: true,
            NullLogger<KvCacheStore>.Instance)
        {
            LowerTierBatchBlocks = batchBlocks,
        };
    }
}
