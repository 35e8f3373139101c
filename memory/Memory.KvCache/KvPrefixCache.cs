using System.Runtime.InteropServices;
using Memory.Inference.Decoding;
using Memory.Inference.Serving;
using Memory.KvCache.Blocks;

namespace Memory.KvCache;

/// <summary>
/// The decoder's view of the KV cache (<see cref="IKvPrefixCache"/>): converts between the decoder's exported blocks
/// (<see cref="KvBlockData"/>, fp16 as <see cref="Half"/>) and the store's chained, verified <see cref="KvBlock"/>s.
/// With <see cref="KvCacheOptions.IsolateTenants"/> each tenant gets its own key space, so one tenant cannot learn from
/// a fast first token that another tenant sent the same prefix; by default prefixes are shared by content.
/// </summary>
public sealed class KvPrefixCache : IKvPrefixCache
{
    private readonly KvCacheStore _store;
    private readonly bool _isolateTenants;

    public KvPrefixCache(KvCacheStore store, bool isolateTenants)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _isolateTenants = isolateTenants;
    }

    public int BlockSize => _store.BlockSize;

    /// <summary>The store's model key for a decoder's identity, as seen by <paramref name="tenant"/>.</summary>
    public KvModel ModelFor(ModelIdentity identity, string tenant)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        return new KvModel
        {
            Fingerprint = _isolateTenants ? $"{identity.Key}|tenant={tenant}" : identity.Key,
            DType = "fp16",
            Layers = identity.NumLayers,
            KvHeads = identity.NumKvHeads,
            HeadDim = identity.HeadDim,
        };
    }

    public async Task<KvPrefixMatch> MatchAsync(ModelIdentity model, ReadOnlyMemory<int> tokens, int maxBlocks, KvBlockOrigin origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (maxBlocks <= 0)
        {
            return KvPrefixMatch.None;
        }

        var lease = await _store.AcquirePrefixAsync(ModelFor(model, origin.Tenant), tokens, cancellationToken, maxBlocks);
        if (lease.Blocks.Count == 0)
        {
            await lease.DisposeAsync();
            return KvPrefixMatch.None;
        }

        var blocks = lease.Blocks.Select((block, index) => ToData(block, index)).ToArray();
        return new KvPrefixMatch(blocks, lease.Sources, lease.DisposeAsync);
    }

    public async Task StoreAsync(ModelIdentity model, ReadOnlyMemory<int> tokens, IReadOnlyList<KvBlockData> blocks, KvBlockOrigin origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(origin);
        if (blocks.Count == 0)
        {
            return;
        }

        var kvModel = ModelFor(model, origin.Tenant);
        var keys = BlockKeyChain.Keys(tokens.Span, kvModel, BlockSize);
        var converted = new List<KvBlock>(blocks.Count);
        foreach (var data in blocks)
        {
            if (data.BlockSize != BlockSize || data.BlockIndex >= keys.Count)
            {
                throw new ArgumentException($"block {data.BlockIndex} ({data.BlockSize} tokens) is not a full {BlockSize}-token block of the {tokens.Length} tokens given");
            }

            if (!data.Tokens.Span.SequenceEqual(tokens.Span.Slice(data.BlockIndex * BlockSize, BlockSize)))
            {
                throw new ArgumentException($"block {data.BlockIndex} holds other tokens than the sequence's");
            }

            var prefix = data.BlockIndex == 0 ? BlockKey.Root : keys[data.BlockIndex - 1];
            converted.Add(new KvBlock(
                keys[data.BlockIndex],
                prefix,
                kvModel,
                data.Tokens.ToArray(),
                MemoryMarshal.Cast<Half, ushort>(data.Keys.Span).ToArray(),
                MemoryMarshal.Cast<Half, ushort>(data.Values.Span).ToArray()));
        }

        await _store.StoreAsync(converted, origin, cancellationToken);
    }

    /// <summary>The same [layer, slot, kv channel] fp16 layout on both sides: the store's arrays, seen as fp16.</summary>
    private static KvBlockData ToData(KvBlock block, int index) =>
        new(index, block.Model.Layers, block.Model.KvDim, block.Tokens, new HalfBitsMemory(block.Keys).Memory, new HalfBitsMemory(block.Values).Memory);
}
