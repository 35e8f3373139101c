using System.Runtime.InteropServices;
using Memory.Conversations.Model;

namespace Memory.Storage.Vectors;

/// <summary>
/// The in-process vector index of one tenant: 4-bit and int8 codes of every valid memory in contiguous arrays,
/// with the scope ids interned to integers so the scan filters by scope without touching strings. A search scans
/// the 4-bit codes (<see cref="Int4Vectors"/>: half the bytes, and the scan is bound by memory bandwidth), ranks the
/// few times more candidates it keeps by their int8 codes, and returns those. It holds row numbers (SQLite
/// rowids), not records: callers re-read candidates from the file, which stays the truth.
/// Reads run in parallel; writes are applied after their transaction commits, under the write lock.
/// </summary>
internal sealed class TenantVectorIndex : IDisposable
{
    /// <summary>Below this many rows a second thread costs more than it saves.</summary>
    private const int ParallelThreshold = 16_384;

    private readonly int _dimensions;
    private readonly int _stride;
    private readonly int _nibbleStride;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _slotOfRow = [];
    private readonly Stack<int> _freeSlots = new();

    private readonly ScopeInterner _names = new();

    private sbyte[] _codes;
    private float[] _scales;
    private byte[] _nibbles;
    private float[] _nibbleScales;
    private long[] _rows;
    private int[] _users;
    private int[] _agents;
    private int[] _runs;
    private int _slots;

    public TenantVectorIndex(int dimensions)
    {
        _dimensions = dimensions;
        _stride = Int8Vectors.Stride(dimensions);
        _nibbleStride = Int4Vectors.Stride(dimensions);
        const int initialCapacity = 256;
        _codes = new sbyte[initialCapacity * _stride];
        _scales = new float[initialCapacity];
        _nibbles = new byte[initialCapacity * _nibbleStride];
        _nibbleScales = new float[initialCapacity];
        _rows = new long[initialCapacity];
        _users = new int[initialCapacity];
        _agents = new int[initialCapacity];
        _runs = new int[initialCapacity];
    }

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _slotOfRow.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Adds or replaces the vector of a row.</summary>
    public void Upsert(long row, MemoryScope scope, ReadOnlySpan<float> embedding)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_slotOfRow.TryGetValue(row, out var slot))
            {
                slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NewSlot();
                _slotOfRow[row] = slot;
            }

            _rows[slot] = row;
            _users[slot] = _names.Intern(scope.UserId);
            _agents[slot] = _names.Intern(scope.AgentId);
            _runs[slot] = _names.Intern(scope.RunId);
            _scales[slot] = Int8Vectors.Quantize(embedding, _codes.AsSpan(slot * _stride, _stride));
            _nibbleScales[slot] = Int4Vectors.Quantize(embedding, _nibbles.AsSpan(slot * _nibbleStride, _nibbleStride));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Remove(long row)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_slotOfRow.Remove(row, out var slot))
            {
                _rows[slot] = -1;
                _scales[slot] = 0f;
                _nibbleScales[slot] = 0f;
                _freeSlots.Push(slot);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The rows of the scope whose approximate cosine to the query is highest, best first.</summary>
    public IReadOnlyList<(long Row, float Score)> Search(MemoryScope scope, ReadOnlySpan<float> query, int count)
    {
        var queryCodes = new short[_stride];
        var queryScale = Int8Vectors.QuantizeQuery(query, queryCodes);
        var nibbleQuery = new sbyte[Int4Vectors.PaddedDimensions(_dimensions)];
        Int4Vectors.QuantizeQuery(query, nibbleQuery, out var nibbleQuerySum);

        // The 4-bit pass keeps this many for the int8 pass; below that many rows it would not save anything.
        var shortlist = (count * 4) + 64;
        _lock.EnterReadLock();
        try
        {
            if (!_names.TryResolve(scope, out var filter))
            {
                return [];
            }

            var best = new TopScores(count);
            if (_slots <= shortlist * 4)
            {
                Scan(0, _slots, filter, queryCodes, best);
                return best.Sorted(queryScale);
            }

            var first = new TopScores(shortlist);
            if (_slots < ParallelThreshold || Environment.ProcessorCount < 2)
            {
                ScanNibbles(0, _slots, filter, nibbleQuery, nibbleQuerySum, first);
            }
            else
            {
                // Two halves on two threads; the read lock is held by this thread for both.
                var middle = _slots / 2;
                var right = new TopScores(shortlist);
                Parallel.Invoke(
                    () => ScanNibbles(0, middle, filter, nibbleQuery, nibbleQuerySum, first),
                    () => ScanNibbles(middle, _slots, filter, nibbleQuery, nibbleQuerySum, right));
                first.Merge(right);
            }

            ref var codes = ref MemoryMarshal.GetArrayDataReference(_codes);
            ref var queryStart = ref MemoryMarshal.GetArrayDataReference(queryCodes);
            foreach (var (slot, _) in first.Items)
            {
                var dot = Int8Vectors.Dot(ref System.Runtime.CompilerServices.Unsafe.Add(ref codes, (int)slot * _stride), ref queryStart, _stride);
                best.Offer(_rows[slot], dot * _scales[slot]);
            }

            return best.Sorted(queryScale);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose() => _lock.Dispose();

    private void Scan(int start, int end, ScopeCodes filter, short[] queryCodes, TopScores best)
    {
        ref var query = ref MemoryMarshal.GetArrayDataReference(queryCodes);
        ref var codes = ref MemoryMarshal.GetArrayDataReference(_codes);
        var rows = _rows;
        var scales = _scales;
        for (var slot = start; slot < end; slot++)
        {
            if (rows[slot] < 0
                || (filter.User != 0 && _users[slot] != filter.User)
                || (filter.Agent != 0 && _agents[slot] != filter.Agent)
                || (filter.Run != 0 && _runs[slot] != filter.Run))
            {
                continue;
            }

            var dot = Int8Vectors.Dot(ref System.Runtime.CompilerServices.Unsafe.Add(ref codes, slot * _stride), ref query, _stride);
            best.Offer(rows[slot], dot * scales[slot]);
        }
    }

    /// <summary>Offers the slots (not rows) of [start, end) that pass the scope, by their 4-bit score.</summary>
    private void ScanNibbles(int start, int end, ScopeCodes filter, sbyte[] queryCodes, int querySum, TopScores best)
    {
        ref var query = ref MemoryMarshal.GetArrayDataReference(queryCodes);
        ref var nibbles = ref MemoryMarshal.GetArrayDataReference(_nibbles);
        var offset = 8 * querySum;
        var rows = _rows;
        var scales = _nibbleScales;
        for (var slot = start; slot < end; slot++)
        {
            if (rows[slot] < 0
                || (filter.User != 0 && _users[slot] != filter.User)
                || (filter.Agent != 0 && _agents[slot] != filter.Agent)
                || (filter.Run != 0 && _runs[slot] != filter.Run))
            {
                continue;
            }

            var dot = Int4Vectors.DotWithOffset(ref System.Runtime.CompilerServices.Unsafe.Add(ref nibbles, slot * _nibbleStride), ref query, _nibbleStride) - offset;
            best.Offer(slot, dot * scales[slot]);
        }
    }

    private int NewSlot()
    {
        if (_slots == _rows.Length)
        {
            var capacity = _rows.Length * 2;
            Array.Resize(ref _codes, capacity * _stride);
            Array.Resize(ref _scales, capacity);
            Array.Resize(ref _nibbles, capacity * _nibbleStride);
            Array.Resize(ref _nibbleScales, capacity);
            Array.Resize(ref _rows, capacity);
            Array.Resize(ref _users, capacity);
            Array.Resize(ref _agents, capacity);
            Array.Resize(ref _runs, capacity);
        }

        return _slots++;
    }

    /// <summary>A bounded min-heap of (row, raw score): the best <c>capacity</c> seen so far.</summary>
    private sealed class TopScores(int capacity)
    {
        private readonly PriorityQueue<long, float> _heap = new(capacity + 1);

        public void Offer(long row, float score)
        {
            if (_heap.Count < capacity)
            {
                _heap.Enqueue(row, score);
            }
            else if (_heap.TryPeek(out _, out var worst) && score > worst)
            {
                _heap.DequeueEnqueue(row, score);
            }
        }

        /// <summary>What the heap holds, in no order.</summary>
        public IEnumerable<(long Row, float Score)> Items => _heap.UnorderedItems.Select(item => (item.Element, item.Priority));

        public void Merge(TopScores other)
        {
            foreach (var (row, score) in other._heap.UnorderedItems)
            {
                Offer(row, score);
            }
        }

        public List<(long Row, float Score)> Sorted(float queryScale)
        {
            var items = new List<(long Row, float Score)>(_heap.Count);
            foreach (var (row, score) in _heap.UnorderedItems)
            {
                items.Add((row, score * queryScale));
            }

            items.Sort((a, b) => b.Score.CompareTo(a.Score));
            return items;
        }
    }
}
