using System.Collections.Concurrent;
using Memory.KvCache.Blocks;

namespace Memory.KvCache.Tiers;

/// <summary>Keys of pinned blocks, shared by the tiers so none of them evicts a pinned block.</summary>
public sealed class PinSet
{
    private readonly ConcurrentDictionary<BlockKey, byte> _keys = new();

    public int Count => _keys.Count;

    public bool Contains(BlockKey key) => _keys.ContainsKey(key);

    public void Set(BlockKey key, bool pinned)
    {
        if (pinned)
        {
            _keys.TryAdd(key, 0);
        }
        else
        {
            _keys.TryRemove(key, out _);
        }
    }
}
