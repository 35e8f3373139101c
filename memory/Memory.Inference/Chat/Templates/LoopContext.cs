namespace Memory.Inference.Chat.Templates;

/// <summary>
/// The <c>loop</c> variable inside a for-loop: <c>index</c>, <c>index0</c>, <c>revindex</c>, <c>revindex0</c>,
/// <c>first</c>, <c>last</c>, <c>length</c>, <c>previtem</c>, <c>nextitem</c>, <c>depth</c>, <c>depth0</c>,
/// <c>cycle(...)</c>, <c>changed(...)</c>, and <c>loop(items)</c> in a <c>recursive</c> loop. Counts refer to the items
/// left after the loop's <c>if</c> filter, as in jinja2.
/// </summary>
internal sealed class LoopContext : CallableValue
{
    private readonly IReadOnlyList<object?> _items;
    private readonly Func<TemplateRenderer, object?, object?>? _recurse;
    private ListValue? _lastChanged;

    public LoopContext(IReadOnlyList<object?> items, int depth0, Func<TemplateRenderer, object?, object?>? recurse)
    {
        _items = items;
        Depth0 = depth0;
        _recurse = recurse;
    }

    public int Index0 { get; set; }

    public int Length => _items.Count;

    public int Depth0 { get; }

    public override string Name => "loop";

    public override string Repr => $"<LoopContext {Index0 + 1}/{Length}>";

    public bool TryGetAttribute(string name, out object? value)
    {
        value = name switch
        {
            "index" => (long)(Index0 + 1),
            "index0" => (long)Index0,
            "revindex" => (long)(Length - Index0),
            "revindex0" => (long)(Length - Index0 - 1),
            "first" => Index0 == 0,
            "last" => Index0 == Length - 1,
            "length" => (long)Length,
            "depth" => (long)(Depth0 + 1),
            "depth0" => (long)Depth0,
            "previtem" => Index0 > 0 ? _items[Index0 - 1] : UndefinedValue.WithHint("there is no previous item"),
            "nextitem" => Index0 + 1 < Length ? _items[Index0 + 1] : UndefinedValue.WithHint("there is no next item"),
            "cycle" => BuiltinFunction.Method(this, "cycle", (_, args) => args.Positional.Count == 0
                ? throw TemplateErrors.Type("no items for cycling given")
                : args.Positional[Index0 % args.Positional.Count]),
            "changed" => BuiltinFunction.Method(this, "changed", (_, args) => Changed(args)),
            _ => null,
        };
        return value is not null || name is "previtem" or "nextitem";
    }

    public override object? Invoke(TemplateRenderer renderer, CallArguments arguments)
    {
        if (_recurse is null)
        {
            throw TemplateErrors.Type("The loop must have the 'recursive' marker to be called recursively.");
        }

        if (arguments.Positional.Count != 1 || arguments.Named.Count != 0)
        {
            throw TemplateErrors.Type("loop() takes exactly one argument, the items to recurse into");
        }

        return _recurse(renderer, arguments.Positional[0]);
    }

    private bool Changed(CallArguments arguments)
    {
        var value = new ListValue(arguments.Positional.ToArray(), SequenceKind.Tuple);
        if (_lastChanged is not null && Py.Equal(_lastChanged, value))
        {
            return false;
        }

        _lastChanged = value;
        return true;
    }
}
