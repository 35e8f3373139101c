namespace Memory.Inference.Chat.Templates;

/// <summary>
/// jinja2's <c>namespace(...)</c>: the one mutable object in the sandbox, so that <c>{% set ns.found = true %}</c> inside
/// a loop is visible after it. Created per render, so no locking is needed.
/// </summary>
internal sealed class NamespaceValue
{
    private readonly OrderedDictionary<string, object?> _attributes = new(StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<string, object?>> Attributes => _attributes;

    public bool TryGet(string name, out object? value) => _attributes.TryGetValue(name, out value);

    public void Set(string name, object? value) => _attributes[name] = value;
}
