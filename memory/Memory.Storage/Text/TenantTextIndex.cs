using System.Buffers;
using Memory.Conversations.Model;

namespace Memory.Storage.Text;

/// <summary>
/// The in-process inverted index of one tenant's valid memories: a posting list (slot, term count) per term, the
/// length and scope codes of every slot, and BM25 over this tenant's documents only (FTS5's bm25 with k1 = 1.2,
/// b = 0.75 and its floor on negative IDF). A search adds every posting of the query's terms into one score per
/// document (term at a time), then keeps the best: exact over all matches, where FTS5's bm25 cost enough per matching
/// row that the old plan ranked only the newest 1,000 matches of common words.
/// Rows are SQLite rowids or PostgreSQL sequence numbers: callers re-read what they return from the database.
/// Reads run in parallel; writes take the write lock.
/// </summary>
internal sealed class TenantTextIndex : IDisposable
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>FTS5's floor for the IDF of a term in more than half of the documents.</summary>
    private const double MinIdf = 1e-6;

    /// <summary>Removed and replaced documents leave dead postings; rebuild once they outnumber the live ones.</summary>
    private const int MinDeadForCompaction = 1_024;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private readonly List<PostingList> _postings = [];
    private readonly Dictionary<long, int> _slotOfRow = [];
    private readonly ScopeInterner _names = new();

    private long[] _rows = new long[256];
    private int[] _lengths = new int[256];
    private int[] _users = new int[256];
    private int[] _agents = new int[256];
    private int[] _runs = new int[256];

    /// <summary>Each slot's term ids and counts, to take a removed document out of the document frequencies.</summary>
    private int[][] _slotTerms = new int[256][];
    private int[][] _slotFrequencies = new int[256][];
    private int _slots;
    private long _totalLength;

    /// <summary>Adds or replaces the text of a row.</summary>
    public void Upsert(long row, MemoryScope scope, IndexedText text)
    {
        _lock.EnterWriteLock();
        try
        {
            RemoveLocked(row);
            var slot = NewSlot();
            _slotOfRow[row] = slot;
            _rows[slot] = row;
            _lengths[slot] = text.Length;
            _users[slot] = _names.Intern(scope.UserId);
            _agents[slot] = _names.Intern(scope.AgentId);
            _runs[slot] = _names.Intern(scope.RunId);
            var termIds = new int[text.Terms.Length];
            for (var i = 0; i < termIds.Length; i++)
            {
                if (!_termIds.TryGetValue(text.Terms[i], out var id))
                {
                    id = _postings.Count;
                    _termIds[text.Terms[i]] = id;
                    _postings.Add(new PostingList());
                }

                termIds[i] = id;
                _postings[id].Add(slot, text.Frequencies[i]);
            }

            _slotTerms[slot] = termIds;
            _slotFrequencies[slot] = text.Frequencies;
            _totalLength += text.Length;
            CompactIfWasteful();
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
            RemoveLocked(row);
            CompactIfWasteful();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The rows of the scope with the highest BM25 score for the query terms, best first (ties: newest row first).</summary>
    public List<(long Row, double Score)> Search(MemoryScope scope, IReadOnlyList<string> terms, int count)
    {
        _lock.EnterReadLock();
        float[]? scores = null;
        try
        {
            var documents = _slotOfRow.Count;
            if (documents == 0 || !_names.TryResolve(scope, out var filter))
            {
                return [];
            }

            var averageLength = Math.Max(1.0, (double)_totalLength / documents);
            scores = ArrayPool<float>.Shared.Rent(_slots);
            Array.Clear(scores, 0, _slots);
            var touched = new List<int>();
            foreach (var term in terms)
            {
                if (!_termIds.TryGetValue(term, out var id) || _postings[id].Live == 0)
                {
                    continue;
                }

                var postings = _postings[id];
                var idf = Math.Max(MinIdf, Math.Log((documents - postings.Live + 0.5) / (postings.Live + 0.5)));
                Accumulate(postings, idf, averageLength, filter, scores, touched);
            }

            return Best(scores, touched, count);
        }
        finally
        {
            _lock.ExitReadLock();
            if (scores is not null)
            {
                ArrayPool<float>.Shared.Return(scores);
            }
        }
    }

    public void Dispose() => _lock.Dispose();

    private void Accumulate(PostingList postings, double idf, double averageLength, ScopeCodes filter, float[] scores, List<int> touched)
    {
        // BM25's term weight is idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / average)).
        var lengthWeight = K1 * B / averageLength;
        var constantWeight = K1 * (1 - B);
        var slots = postings.Slots;
        var frequencies = postings.Frequencies;
        for (var i = 0; i < postings.Count; i++)
        {
            var slot = slots[i];
            if (_rows[slot] < 0 || !filter.Admits(_users[slot], _agents[slot], _runs[slot]))
            {
                continue;
            }

            double tf = frequencies[i];
            var weight = idf * tf * (K1 + 1) / (tf + constantWeight + (lengthWeight * _lengths[slot]));
            if (scores[slot] == 0)
            {
                touched.Add(slot);
            }

            scores[slot] += (float)weight;
        }
    }

    private List<(long Row, double Score)> Best(float[] scores, List<int> touched, int count)
    {
        var heap = new PriorityQueue<int, (float Score, long Row)>(count + 1);
        foreach (var slot in touched)
        {
            var key = (scores[slot], _rows[slot]);
            if (heap.Count < count)
            {
                heap.Enqueue(slot, key);
            }
            else if (heap.TryPeek(out _, out var worst) && (key.Item1 > worst.Score || (key.Item1 == worst.Score && key.Item2 > worst.Row)))
            {
                heap.DequeueEnqueue(slot, key);
            }
        }

        var best = new List<(long Row, double Score)>(heap.Count);
        while (heap.TryDequeue(out var slot, out var key))
        {
            best.Add((_rows[slot], key.Score));
        }

        best.Reverse();
        return best;
    }

    private void RemoveLocked(long row)
    {
        if (!_slotOfRow.Remove(row, out var slot))
        {
            return;
        }

        foreach (var id in _slotTerms[slot])
        {
            _postings[id].Live--;
        }

        _totalLength -= _lengths[slot];
        _rows[slot] = -1;
        _slotTerms[slot] = [];
        _slotFrequencies[slot] = [];
    }

    private int NewSlot()
    {
        if (_slots == _rows.Length)
        {
            var capacity = _rows.Length * 2;
            Array.Resize(ref _rows, capacity);
            Array.Resize(ref _lengths, capacity);
            Array.Resize(ref _users, capacity);
            Array.Resize(ref _agents, capacity);
            Array.Resize(ref _runs, capacity);
            Array.Resize(ref _slotTerms, capacity);
            Array.Resize(ref _slotFrequencies, capacity);
        }

        return _slots++;
    }

    private void CompactIfWasteful()
    {
        if (_slots - _slotOfRow.Count >= Math.Max(MinDeadForCompaction, _slotOfRow.Count))
        {
            Compact();
        }
    }

    /// <summary>Moves the live documents to the front, in slot order, and rebuilds every posting list without the dead.</summary>
    private void Compact()
    {
        foreach (var postings in _postings)
        {
            postings.Clear();
        }

        var next = 0;
        for (var slot = 0; slot < _slots; slot++)
        {
            if (_rows[slot] < 0)
            {
                continue;
            }

            _rows[next] = _rows[slot];
            _lengths[next] = _lengths[slot];
            _users[next] = _users[slot];
            _agents[next] = _agents[slot];
            _runs[next] = _runs[slot];
            _slotTerms[next] = _slotTerms[slot];
            _slotFrequencies[next] = _slotFrequencies[slot];
            _slotOfRow[_rows[next]] = next;
            for (var i = 0; i < _slotTerms[next].Length; i++)
            {
                _postings[_slotTerms[next][i]].Add(next, _slotFrequencies[next][i]);
            }

            next++;
        }

        Array.Fill(_slotTerms, [], next, _slots - next);
        Array.Fill(_slotFrequencies, [], next, _slots - next);
        _slots = next;
    }

    /// <summary>One term's postings in slot order; <see cref="Live"/> counts those of live documents (its document frequency).</summary>
    private sealed class PostingList
    {
        public int[] Slots { get; private set; } = new int[4];

        public int[] Frequencies { get; private set; } = new int[4];

        public int Count { get; private set; }

        public int Live { get; set; }

        public void Add(int slot, int frequency)
        {
            if (Count == Slots.Length)
            {
                var slots = Slots;
                var frequencies = Frequencies;
                Array.Resize(ref slots, Count * 2);
                Array.Resize(ref frequencies, Count * 2);
                Slots = slots;
                Frequencies = frequencies;
            }

            Slots[Count] = slot;
            Frequencies[Count] = frequency;
            Count++;
            Live++;
        }

        public void Clear()
        {
            Count = 0;
            Live = 0;
        }
    }
}
