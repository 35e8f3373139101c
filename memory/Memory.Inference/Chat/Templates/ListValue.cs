namespace Memory.Inference.Chat.Templates;

/// <summary>Which Python sequence a <see cref="ListValue"/> stands for: it decides how it prints and compares.</summary>
internal enum SequenceKind
{
    List,
    Tuple,
    DictKeys,
    DictValues,
    DictItems,
    Range,
}

/// <summary>
/// A Python list, tuple, dict view or range. Never mutated after it is built: the immutable sandbox Hugging Face renders
/// with refuses <c>append</c> and friends, so values can be shared freely within a render.
/// </summary>
internal sealed class ListValue
{
    public ListValue(IReadOnlyList<object?> items, SequenceKind kind = SequenceKind.List)
    {
        Items = items;
        Kind = kind;
    }

    public IReadOnlyList<object?> Items { get; }

    public SequenceKind Kind { get; }

    public int Count => Items.Count;

    /// <summary>For ranges: <c>range(start, stop[, step])</c>, how Python prints it.</summary>
    public string? RangeRepr { get; init; }

    public static ListValue Tuple(params object?[] items) => new(items, SequenceKind.Tuple);

    public string TypeName => Kind switch
    {
        SequenceKind.List => "list",
        SequenceKind.Tuple => "tuple",
        SequenceKind.DictKeys => "dict_keys",
        SequenceKind.DictValues => "dict_values",
        SequenceKind.DictItems => "dict_items",
        _ => "range",
    };

    /// <summary>True for kinds that support indexing and slicing (lists, tuples and ranges, not dict views).</summary>
    public bool IsIndexable => Kind is SequenceKind.List or SequenceKind.Tuple or SequenceKind.Range;
}
