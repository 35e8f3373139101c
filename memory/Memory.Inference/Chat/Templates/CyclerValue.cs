namespace Memory.Inference.Chat.Templates;

/// <summary>jinja2's <c>cycler(*items)</c>: <c>next()</c>, <c>current</c>, <c>reset()</c>. Created per render.</summary>
internal sealed class CyclerValue
{
    private readonly IReadOnlyList<object?> _items;
    private int _position;

    public CyclerValue(IReadOnlyList<object?> items)
    {
        if (items.Count == 0)
        {
            throw TemplateErrors.Runtime("at least one item has to be provided");
        }

        _items = items;
    }

    public bool TryGetAttribute(string name, out object? value)
    {
        value = name switch
        {
            "current" => _items[_position],
            "next" => BuiltinFunction.Method(this, "next", (_, _) =>
            {
                var current = _items[_position];
                _position = (_position + 1) % _items.Count;
                return current;
            }),
            "reset" => BuiltinFunction.Method(this, "reset", (_, _) =>
            {
                _position = 0;
                return null;
            }),
            _ => null,
        };
        return value is not null || name == "current";
    }
}
