using Memory.KvCache.Blocks;

namespace Memory.KvCache.Tiers;

/// <summary>
/// Decoded blocks in host memory under a byte budget. A block in use by a sequence is referenced (acquired) and a
/// pinned block is never evicted; the others form an LRU list, least recently released first out. Evicted blocks are
/// handed to a callback (the cache demotes them to disk). Thread-safe.
/// </summary>
public sealed class HostBlockTier
{
    private readonly Lock _lock = new();
    private readonly Dictionary<BlockKey, Entry> _entries = [];
    private readonly LinkedList<Entry> _unreferenced = new();
    private readonly PinSet _pins;
    private long _bytes;
    private long _hits;
    private long _misses;

    public HostBlockTier(long budgetBytes, PinSet pins)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        ArgumentNullException.ThrowIfNull(pins);
        BudgetBytes = budgetBytes;
        _pins = pins;
    }

    public long BudgetBytes { get; }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Finds a block and takes a reference to it (release it with <see cref="Release"/>).</summary>
    public bool TryAcquire(BlockKey key, out KvBlock? block)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.References++ == 0)
                {
                    _unreferenced.Remove(entry.Node);
                }

                _hits++;
                block = entry.Block;
                return true;
            }

            _misses++;
            block = null;
            return false;
        }
    }

    public bool Contains(BlockKey key)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(key);
        }
    }

    /// <summary>Drops one reference; an unreferenced block becomes the most recently used eviction candidate.</summary>
    public IReadOnlyList<KvBlock> Release(BlockKey key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.References > 0 && --entry.References == 0)
            {
                _unreferenced.AddLast(entry.Node);
            }

            return EvictOverBudget();
        }
    }

    /// <summary>
    /// Adds a block (optionally acquiring it) and evicts unreferenced, unpinned blocks while over budget; returns the
    /// evicted blocks. A block that cannot fit without evicting referenced or pinned ones is still admitted when
    /// acquired (a sequence is using it) and otherwise left out (returned as evicted).
    /// </summary>
    public IReadOnlyList<KvBlock> Add(KvBlock block, bool acquire)
    {
        ArgumentNullException.ThrowIfNull(block);
        lock (_lock)
        {
            if (_entries.TryGetValue(block.Key, out var existing))
            {
                if (acquire && existing.References++ == 0)
                {
                    _unreferenced.Remove(existing.Node);
                }

                return [];
            }

            var entry = new Entry(block) { References = acquire ? 1 : 0 };
            _entries[block.Key] = entry;
            _bytes += block.RawBytes;
            if (!acquire)
            {
                _unreferenced.AddLast(entry.Node);
            }

            return EvictOverBudget();
        }
    }

    public bool Remove(BlockKey key)
    {
        lock (_lock)
        {
            if (!_entries.Remove(key, out var entry))
            {
                return false;
            }

            if (entry.References == 0)
            {
                _unreferenced.Remove(entry.Node);
            }

            _bytes -= entry.Block.RawBytes;
            return true;
        }
    }

    /// <summary>Every block held now (for flushing to disk).</summary>
    public IReadOnlyList<KvBlock> Snapshot()
    {
        lock (_lock)
        {
            return _entries.Values.Select(e => e.Block).ToArray();
        }
    }

    public KvTierStats Stats()
    {
        lock (_lock)
        {
            return new KvTierStats("host", KvTierStatus.Up, "fp16", _entries.Count, _bytes, BudgetBytes, _hits, _misses, $"{_entries.Values.Count(e => e.References > 0)} in use, {_entries.Keys.Count(_pins.Contains)} pinned");
        }
    }

    private List<KvBlock> EvictOverBudget()
    {
        var evicted = new List<KvBlock>();
        var node = _unreferenced.First;
        while (_bytes > BudgetBytes && node is not null)
        {
            var next = node.Next;
            var entry = node.Value;
            if (!_pins.Contains(entry.Block.Key))
            {
                _unreferenced.Remove(node);
                _entries.Remove(entry.Block.Key);
                _bytes -= entry.Block.RawBytes;
                evicted.Add(entry.Block);
            }

            node = next;
        }

        return evicted;
    }

    private sealed class Entry
    {
        public Entry(KvBlock block)
        {
            Block = block;
            Node = new LinkedListNode<Entry>(this);
        }

        public KvBlock Block { get; }

        public LinkedListNode<Entry> Node { get; }

        public int References { get; set; }
    }
}
