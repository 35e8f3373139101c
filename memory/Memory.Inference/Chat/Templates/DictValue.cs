namespace Memory.Inference.Chat.Templates;

/// <summary>
/// A Python dict: insertion-ordered, keys compared the Python way (<c>1</c>, <c>1.0</c> and <c>True</c> are one key),
/// <c>None</c> allowed as a key. Filled while it is built, never mutated afterwards (immutable sandbox).
/// </summary>
internal sealed class DictValue
{
    /// <summary>Stands for the key <c>None</c>, which .NET dictionaries cannot hold.</summary>
    private static readonly object NoneKey = new();

    private readonly OrderedDictionary<object, object?> _items = new(PyKeyComparer.Instance);

    public int Count => _items.Count;

    public IEnumerable<object?> Keys
    {
        get
        {
            foreach (var key in _items.Keys)
            {
                yield return Unwrap(key);
            }
        }
    }

    public IEnumerable<object?> Values => _items.Values;

    public IEnumerable<KeyValuePair<object?, object?>> Items
    {
        get
        {
            foreach (var pair in _items)
            {
                yield return new KeyValuePair<object?, object?>(Unwrap(pair.Key), pair.Value);
            }
        }
    }

    /// <summary>Adds or replaces; an equal existing key keeps its original form and position, as in Python.</summary>
    public void Set(object? key, object? value)
    {
        PyKeyComparer.EnsureHashable(key);
        _items[key ?? NoneKey] = value;
    }

    public bool TryGet(object? key, out object? value)
    {
        PyKeyComparer.EnsureHashable(key);
        return _items.TryGetValue(key ?? NoneKey, out value);
    }

    public bool ContainsKey(object? key) => TryGet(key, out _);

    public ListValue ItemsList(SequenceKind kind = SequenceKind.List) =>
        new(Items.Select(p => (object?)ListValue.Tuple(p.Key, p.Value)).ToArray(), kind);

    private static object? Unwrap(object key) => ReferenceEquals(key, NoneKey) ? null : key;

    /// <summary>Python's hash/eq for dict keys.</summary>
    private sealed class PyKeyComparer : IEqualityComparer<object>
    {
        public static readonly PyKeyComparer Instance = new();

        public static void EnsureHashable(object? key, int depth = 0)
        {
            if (depth > PyFormat.MaxDataDepth)
            {
                throw TemplateErrors.Runtime($"data nested deeper than {PyFormat.MaxDataDepth} levels cannot be a dict key");
            }

            if (key is DictValue or NamespaceValue or GeneratorValue || key is ListValue { Kind: not SequenceKind.Tuple and not SequenceKind.Range })
            {
                throw TemplateErrors.Type($"unhashable type: '{Py.TypeName(key)}'");
            }

            if (key is ListValue { Kind: SequenceKind.Tuple } tuple)
            {
                foreach (var item in tuple.Items)
                {
                    EnsureHashable(item, depth + 1);
                }
            }
        }

        public new bool Equals(object? x, object? y) =>
            ReferenceEquals(x, y) || (!ReferenceEquals(x, NoneKey) && !ReferenceEquals(y, NoneKey) && Py.Equal(x, y));

        public int GetHashCode(object obj) => Hash(obj, 0);

        private static int Hash(object? obj, int depth) => depth > PyFormat.MaxDataDepth ? 0 : obj switch
        {
            bool b => (b ? 1L : 0L).GetHashCode(),
            long l => l.GetHashCode(),
            double d when d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue => ((long)d).GetHashCode(),
            double d => d.GetHashCode(),
            string s => StringComparer.Ordinal.GetHashCode(s),
            ListValue list => list.Items.Aggregate(17, (h, item) => HashCode.Combine(h, Hash(item, depth + 1))),
            null => 0,
            UndefinedValue => 7,
            _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
        };
    }
}
