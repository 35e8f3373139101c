using System.Diagnostics;
using Memory.Inference.Serving;
using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;
using Memory.KvCache.Metadata;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging;

namespace Memory.KvCache;

/// <summary>
/// The KV cache: blocks found by chained prefix keys across host memory → local disk → Redis, promoted to host memory
/// on a hit, demoted from host memory to disk under pressure, each lower tier at its own codec level, with metadata
/// (sizes, producer, last use, pins) in the foundation store. Every block read from a lower tier is decoded,
/// checksum-verified and compared token by token with the prompt before it is used; a corrupt one is dropped from its
/// tier and counts as a miss, so the caller recomputes it. Owns the Redis tier it is given (disposes it).
/// </summary>
public sealed class KvCacheStore : IDisposable
{
    private readonly KvBlockCodec _codec;
    private readonly IKvMetadataStore _metadata;
    private readonly HostBlockTier _host;
    private readonly PinSet _pins;
    private readonly DiskBlockTier? _disk;
    private readonly RedisBlockTier? _redis;
    private readonly bool _diskWriteThrough;
    private readonly ILogger _logger;
    /// <summary>Disk blocks of a prefix read at once.</summary>
    private const int DiskReadAhead = 16;

    private readonly SemaphoreSlim _initializeGate = new(1, 1);
    private volatile bool _initialized;
    private long _lookups;
    private long _reused;
    private long _corrupt;
    private long _runs;
    private long _runBlocks;
    private long _runBytes;
    private long _readTicks;
    private long _decodeTicks;
    private long _adoptTicks;
    private long _decodeWorkTicks;
    private readonly KvDecodeProfile _decodeProfile = new();

    public KvCacheStore(int blockSize, KvBlockCodec codec, IKvMetadataStore metadata, HostBlockTier host, PinSet pins, DiskBlockTier? disk, RedisBlockTier? redis, bool diskWriteThrough, ILogger<KvCacheStore> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockSize = blockSize;
        _codec = codec ?? throw new ArgumentNullException(nameof(codec));
        _metadata = metadata ?? throw new ArgumentNullException(nameof(metadata));
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _pins = pins ?? throw new ArgumentNullException(nameof(pins));
        _disk = disk;
        _redis = redis;
        _diskWriteThrough = diskWriteThrough;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public int BlockSize { get; }

    /// <summary>
    /// Blocks of a lower-tier run per codec batch: a batch decodes while the next one is read. Smaller batches hide more
    /// of the reads behind decoding but pay the codec's per-call cost (on a GPU codec, a launch's serial rANS lanes) more
    /// often; a value at least the run's length decodes the run in one batch once it is all read.
    /// </summary>
    public int LowerTierBatchBlocks
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(LowerTierBatchBlocks), value, "at least one block per batch");
    } = DefaultLowerTierBatchBlocks;

    public const int DefaultLowerTierBatchBlocks = 16;

    public KvBlockCodec Codec => _codec;

    /// <summary>
    /// Creates the metadata tables when missing and loads the pins; idempotent. Hosts call it at start so a bad setting
    /// stops them early; every other method also runs it on first use.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initializeGate.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            await _metadata.InitializeAsync(cancellationToken);
            foreach (var key in await _metadata.PinnedKeysAsync(cancellationToken))
            {
                if (BlockKey.TryParse(key, out var parsed))
                {
                    _pins.Set(parsed, true);
                }
            }

            _initialized = true;
        }
        finally
        {
            _initializeGate.Release();
        }
    }

    /// <summary>Finds the longest run (at most <paramref name="maxBlocks"/>) of cached blocks at the start of <paramref name="tokens"/> and holds them.</summary>
    public async Task<KvPrefixLease> AcquirePrefixAsync(KvModel model, ReadOnlyMemory<int> tokens, CancellationToken cancellationToken, int maxBlocks = int.MaxValue)
    {
        await InitializeAsync(cancellationToken);
        ArgumentNullException.ThrowIfNull(model);
        Interlocked.Increment(ref _lookups);
        var keys = BlockKeyChain.Keys(tokens.Span, model, BlockSize);
        if (keys.Count > maxBlocks)
        {
            keys = keys.Take(Math.Max(0, maxBlocks)).ToArray();
        }

        var blocks = new List<KvBlock>();
        var sources = new List<string>();
        try
        {
            var prefix = BlockKey.Root;
            int i = 0;
            while (i < keys.Count)
            {
                // Blocks missing from host memory are read from the lower tiers a run at a time, so that one codec batch
                // decodes them all (on a GPU codec: shared launches instead of one round per block).
                var run = _host.Contains(keys[i]) ? [] : await ReadLowerRunAsync(keys, i, prefix, tokens, model, cancellationToken);
                if (run.Count == 0)
                {
                    var (block, source) = await FindAsync(keys[i], prefix, tokens.Slice(i * BlockSize, BlockSize), model, cancellationToken);
                    if (block is null)
                    {
                        break;
                    }

                    run = [(block, source)];
                }

                foreach (var (block, source) in run)
                {
                    blocks.Add(block);
                    sources.Add(source);
                    prefix = block.Key;
                    i++;
                }
            }
        }
        catch
        {
            await ReleaseAsync(blocks);
            throw;
        }

        if (blocks.Count > 0)
        {
            Interlocked.Add(ref _reused, blocks.Count);
            await _metadata.TouchAsync(blocks.Select(b => b.Key.Hex).ToArray(), cancellationToken);
        }

        return new KvPrefixLease(this, blocks, sources);
    }

    /// <summary>
    /// Stores blocks computed by the decoder: host memory, the disk tier (write-through) and Redis (shared), each at
    /// its level, plus a metadata row. A block whose key is not the hash of its prefix, model and tokens is refused.
    /// </summary>
    public async Task StoreAsync(IReadOnlyList<KvBlock> blocks, KvBlockOrigin origin, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(origin);
        foreach (var block in blocks)
        {
            if (block.Tokens.Length != BlockSize || BlockKeyChain.Next(block.Prefix, block.Tokens, block.Model, BlockSize) != block.Key)
            {
                throw new ArgumentException($"block {block.Key} is not a {BlockSize}-token block keyed by its prefix, model and tokens");
            }
        }

        var lower = new List<(IKvBlobTier Tier, byte[][] Data)>();
        if (_disk is not null && _diskWriteThrough)
        {
            lower.Add((_disk, EncodeAll(blocks, _disk.Level)));
        }

        if (_redis is not null && _redis.IsUp)
        {
            lower.Add((_redis, EncodeAll(blocks, _redis.Level)));
        }

        for (int i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            long stored = 0;
            foreach (var (tier, data) in lower)
            {
                if (await tier.PutAsync(block.Key, data[i], cancellationToken))
                {
                    stored = Math.Max(stored, data[i].Length);
                }
            }

            await _metadata.RecordAsync(new KvBlockRecord(block.Key.Hex, block.Prefix.Hex, block.Model.Id, block.Tokens.Length, block.RawBytes, stored, origin.Tenant, origin.ConversationId, origin.SessionId), cancellationToken);
            await DemoteAsync(_host.Add(block, acquire: false), cancellationToken);
        }
    }

    /// <summary>
    /// Pins (or unpins) the full blocks of a prompt prefix for <paramref name="tenant"/>, so no tier evicts them; also
    /// blocks not computed yet, which are pinned when they are stored. A block stays pinned while any tenant pins it.
    /// </summary>
    public async Task<KvPinResult> PinAsync(string tenant, KvModel model, ReadOnlyMemory<int> tokens, bool pinned, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        ArgumentNullException.ThrowIfNull(model);
        var keys = BlockKeyChain.Keys(tokens.Span, model, BlockSize);
        var hex = keys.Select(k => k.Hex).ToArray();
        int stored = await _metadata.SetPinnedAsync(tenant, hex, pinned, cancellationToken);
        var stillPinned = pinned ? hex.ToHashSet(StringComparer.Ordinal) : (await _metadata.StillPinnedAsync(hex, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            _pins.Set(key, stillPinned.Contains(key.Hex));
        }

        return new KvPinResult(keys.Count, stored, hex);
    }

    /// <summary>
    /// Deletes the blocks of a model and/or conversation that <paramref name="tenant"/> produced (null: any tenant's,
    /// for operators) from every tier and the metadata, except blocks another tenant pins; returns how many.
    /// </summary>
    public async Task<int> DeleteAsync(string? tenant, string? modelId, string? conversationId, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        var keys = await _metadata.DeleteAsync(tenant, modelId, conversationId, cancellationToken);
        foreach (var hex in keys)
        {
            if (!BlockKey.TryParse(hex, out var key))
            {
                continue;
            }

            _pins.Set(key, false);
            _host.Remove(key);
            if (_disk is not null)
            {
                await _disk.RemoveAsync(key, cancellationToken);
            }

            if (_redis is not null)
            {
                await _redis.RemoveAsync(key, cancellationToken);
            }
        }

        return keys.Count;
    }

    public async Task<KvCacheStats> StatsAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        var tiers = new List<KvTierStats> { _host.Stats() };
        tiers.Add(_disk?.Stats() ?? new KvTierStats("disk", KvTierStatus.Disabled, "-", 0, 0, 0, 0, 0));
        tiers.Add(_redis?.Stats() ?? new KvTierStats("redis", KvTierStatus.Disabled, "-", 0, 0, 0, 0, 0));
        var summary = await _metadata.SummaryAsync(cancellationToken);
        var reads = new KvLowerTierReads(
            Interlocked.Read(ref _runs), Interlocked.Read(ref _runBlocks), Interlocked.Read(ref _runBytes),
            Milliseconds(ref _readTicks), Milliseconds(ref _decodeTicks), Milliseconds(ref _adoptTicks),
            Milliseconds(ref _decodeWorkTicks), _decodeProfile.Snapshot());
        return new KvCacheStats(BlockSize, tiers, summary, Interlocked.Read(ref _lookups), Interlocked.Read(ref _reused), Interlocked.Read(ref _corrupt), reads);
    }

    /// <summary>Writes every block held in host memory to the disk tier (at shutdown, or before a restart).</summary>
    public async Task<int> FlushToDiskAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        if (_disk is null)
        {
            return 0;
        }

        var missing = new List<KvBlock>();
        foreach (var block in _host.Snapshot())
        {
            if (!await _disk.ContainsAsync(block.Key, cancellationToken))
            {
                missing.Add(block);
            }
        }

        var data = EncodeAll(missing, _disk.Level);
        for (int i = 0; i < missing.Count; i++)
        {
            await _disk.PutAsync(missing[i].Key, data[i], cancellationToken);
        }

        return missing.Count;
    }

    public void Dispose()
    {
        _redis?.Dispose();
        _initializeGate.Dispose();
    }

    /// <summary>Drops a block from host memory only (tests and benchmarks of the lower tiers).</summary>
    public bool EvictFromHost(BlockKey key) => _host.Remove(key);

    internal async Task ReleaseAsync(IReadOnlyList<KvBlock> blocks)
    {
        foreach (var block in blocks)
        {
            await DemoteAsync(_host.Release(block.Key), CancellationToken.None);
        }
    }

    private async Task<(KvBlock? Block, string Source)> FindAsync(BlockKey key, BlockKey prefix, ReadOnlyMemory<int> tokens, KvModel model, CancellationToken cancellationToken)
    {
        if (_host.TryAcquire(key, out var held))
        {
            if (held!.Matches(prefix, tokens.Span, model))
            {
                return (held, "host");
            }

            // A key collision (or a bug): never hand these keys and values to the decoder.
            _logger.LogWarning("KV block {Key} in host memory does not match the prompt's tokens; ignoring it", key);
            await DemoteAsync(_host.Release(key), cancellationToken);
            return (null, "host");
        }

        foreach (var tier in new IKvBlobTier?[] { _disk, _redis })
        {
            if (tier is null)
            {
                continue;
            }

            var data = await tier.GetAsync(key, cancellationToken);
            if (data is null)
            {
                continue;
            }

            KvBlock block;
            try
            {
                block = KvBlockFormat.Read(data, _codec);
            }
            catch (KvCodecException exception)
            {
                Interlocked.Increment(ref _corrupt);
                _logger.LogWarning("Dropping corrupt KV block {Key} from {Tier}: {Error}", key, tier.Name, exception.Message);
                await tier.RemoveAsync(key, cancellationToken);
                continue;
            }

            if (!await AdoptAsync(block, tier, key, prefix, tokens, model, cancellationToken))
            {
                continue;
            }

            return (block, tier.Name);
        }

        return (null, "none");
    }

    /// <summary>
    /// Blocks keys[first], keys[first + 1], … that are not in host memory, read from the lower tiers up to the first
    /// miss and decoded in codec batches of <see cref="LowerTierBatchBlocks"/>, each batch decoding while the next is
    /// read; each block verified and added to host memory (acquired) like <see cref="FindAsync"/>'s. Empty when the
    /// first is missing or when any read block fails to decode: the caller then goes block by block, which drops the
    /// corrupt one and tries the next tier for it.
    /// </summary>
    private async Task<List<(KvBlock Block, string Source)>> ReadLowerRunAsync(IReadOnlyList<BlockKey> keys, int first, BlockKey prefix, ReadOnlyMemory<int> tokens, KvModel model, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        var tiers = new List<IKvBlobTier>();
        var batch = new List<byte[]>();
        var decodes = new List<Task<KvBlock[]?>>();
        long bytes = 0;
        void Add(byte[] data, IKvBlobTier tier)
        {
            batch.Add(data);
            tiers.Add(tier);
            bytes += data.Length;
            if (batch.Count >= LowerTierBatchBlocks)
            {
                StartDecode();
            }
        }

        void StartDecode()
        {
            if (batch.Count > 0)
            {
                var items = batch.ToArray();
                batch.Clear();
                decodes.Add(Task.Run(() => DecodeRun(items), CancellationToken.None));
            }
        }

        try
        {
            int next = first;
            while (next < keys.Count && !_host.Contains(keys[next]))
            {
                // The disk tier's index says which blocks it holds, so a run of them is read concurrently (one file at a
                // time left a 16K prefix's 63 reads queued behind each other with the page cache cold).
                int onDisk = 0;
                while (_disk is not null && onDisk < DiskReadAhead && next + onDisk < keys.Count && !_host.Contains(keys[next + onDisk]) && await _disk.ContainsAsync(keys[next + onDisk], cancellationToken))
                {
                    onDisk++;
                }

                if (onDisk > 0)
                {
                    var files = await Task.WhenAll(Enumerable.Range(next, onDisk).Select(i => _disk!.GetAsync(keys[i], cancellationToken)));
                    int got = files.TakeWhile(f => f is not null).Count();
                    foreach (var file in files.Take(got))
                    {
                        Add(file!, _disk!);
                    }

                    next += got;
                    if (got == onDisk)
                    {
                        continue;
                    }
                }

                // Not on disk (or its file went away): the other tiers, one block at a time.
                var (data, tier) = await ReadBlobAsync(keys[next], cancellationToken);
                if (data is null)
                {
                    break;
                }

                Add(data, tier!);
                next++;
            }

            StartDecode();
        }
        catch
        {
            // Batches already decoding finish on their own; their blocks were never adopted, so nothing leaks.
            _ = Task.WhenAll(decodes).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            throw;
        }

        if (tiers.Count == 0)
        {
            return [];
        }

        long readDone = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _readTicks, readDone - started);
        Interlocked.Increment(ref _runs);
        Interlocked.Add(ref _runBlocks, tiers.Count);
        Interlocked.Add(ref _runBytes, bytes);
        var batches = await Task.WhenAll(decodes);
        // Only the decoding that the reads did not hide: the lookup's wait once the last byte is in.
        Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - readDone);
        if (batches.Any(b => b is null))
        {
            return [];
        }

        long adoptStart = Stopwatch.GetTimestamp();
        var run = new List<(KvBlock Block, string Source)>();
        int j = 0;
        foreach (var block in batches.SelectMany(b => b!))
        {
            var tier = tiers[j];
            if (!await AdoptAsync(block, tier, keys[first + j], prefix, tokens.Slice((first + j) * BlockSize, BlockSize), model, cancellationToken))
            {
                break;
            }

            run.Add((block, tier.Name));
            prefix = block.Key;
            j++;
        }

        Interlocked.Add(ref _adoptTicks, Stopwatch.GetTimestamp() - adoptStart);
        return run;
    }

    /// <summary>One codec batch of a lower-tier run; null when any item is corrupt (the caller falls back block by block).</summary>
    private KvBlock[]? DecodeRun(byte[][] items)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            return KvBlockFormat.ReadBatch(items, _codec, _decodeProfile);
        }
        catch (KvCodecException)
        {
            return null;
        }
        finally
        {
            Interlocked.Add(ref _decodeWorkTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    private static double Milliseconds(ref long ticks) => Math.Round(Interlocked.Read(ref ticks) * 1000.0 / Stopwatch.Frequency, 3);

    /// <summary>
    /// A block read from a lower tier, verified against the key and tokens it was looked up by, then held in host
    /// memory (acquired) and, if it came over the network, kept on disk too. False (and nothing kept) when it does not
    /// match: a key collision, or a bug, must never reach the decoder.
    /// </summary>
    private async Task<bool> AdoptAsync(KvBlock block, IKvBlobTier tier, BlockKey key, BlockKey prefix, ReadOnlyMemory<int> tokens, KvModel model, CancellationToken cancellationToken)
    {
        if (block.Key != key || !block.Matches(prefix, tokens.Span, model))
        {
            _logger.LogWarning("KV block {Key} from {Tier} does not match the prompt's tokens; ignoring it", key, tier.Name);
            return false;
        }

        await DemoteAsync(_host.Add(block, acquire: true), cancellationToken);
        await PromoteToDiskAsync(block, tier, cancellationToken);
        return true;
    }

    private async Task<(byte[]? Data, IKvBlobTier? Tier)> ReadBlobAsync(BlockKey key, CancellationToken cancellationToken)
    {
        foreach (var tier in new IKvBlobTier?[] { _disk, _redis })
        {
            if (tier is not null && await tier.GetAsync(key, cancellationToken) is { } data)
            {
                return (data, tier);
            }
        }

        return (null, null);
    }

    /// <summary>A block that came over the network is kept on this server's disk too, so its next lookup reads locally.</summary>
    private async Task PromoteToDiskAsync(KvBlock block, IKvBlobTier source, CancellationToken cancellationToken)
    {
        if (source == _redis && _disk is not null && !await _disk.ContainsAsync(block.Key, cancellationToken))
        {
            await _disk.PutAsync(block.Key, KvBlockFormat.Write(block, _codec.Encode(ToTensors(block), _disk.Level)), cancellationToken);
        }
    }

    private async Task DemoteAsync(IReadOnlyList<KvBlock> evicted, CancellationToken cancellationToken)
    {
        if (_disk is null || evicted.Count == 0)
        {
            return;
        }

        var toWrite = new List<KvBlock>();
        foreach (var block in evicted)
        {
            if (!await _disk.ContainsAsync(block.Key, cancellationToken))
            {
                toWrite.Add(block);
            }
        }

        var data = EncodeAll(toWrite, _disk.Level);
        for (int i = 0; i < toWrite.Count; i++)
        {
            await _disk.PutAsync(toWrite[i].Key, data[i], cancellationToken);
        }
    }

    private byte[][] EncodeAll(IReadOnlyList<KvBlock> blocks, KvCodecPreset level)
    {
        var bitstreams = _codec.EncodeBatch(blocks.Select(ToTensors).ToArray(), level);
        return blocks.Select((b, i) => KvBlockFormat.Write(b, bitstreams[i])).ToArray();
    }

    private static KvTensors ToTensors(KvBlock block) => new(block.Model.Layers, block.Tokens.Length, block.Model.KvDim, block.Keys, block.Values);
}
