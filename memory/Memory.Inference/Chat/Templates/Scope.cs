namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Variables of one jinja2 frame. Lookups walk outwards; assignments always go to the innermost scope. A for-loop
/// iteration, a macro call, a <c>with</c> block and captured bodies (<c>{% set x %}</c>, <c>{% filter %}</c>) each get a
/// new scope, so what they set does not leak out; <c>if</c> blocks do not. Most scopes hold one to three names (a loop
/// target and <c>loop</c>), so they start as a small array and become a dictionary only when they grow.
/// </summary>
internal sealed class Scope
{
    private const int SmallCapacity = 4;

    private readonly IReadOnlyDictionary<string, object?>? _fixed;
    private string[]? _names;
    private object?[]? _values;
    private int _count;
    private Dictionary<string, object?>? _many;

    public Scope(Scope? parent)
    {
        Parent = parent;
    }

    /// <summary>A scope over a dictionary that is never written (the globals shared by concurrent renders, a render's variables).</summary>
    public Scope(IReadOnlyDictionary<string, object?> fixedVariables, Scope? parent = null)
    {
        _fixed = fixedVariables;
        Parent = parent;
    }

    public Scope? Parent { get; }

    public bool TryLookup(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope.TryGetLocal(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value)
    {
        if (_fixed is not null)
        {
            throw new InvalidOperationException("this scope is read-only");
        }

        if (_many is not null)
        {
            _many[name] = value;
            return;
        }

        for (int i = 0; i < _count; i++)
        {
            if (string.Equals(_names![i], name, StringComparison.Ordinal))
            {
                _values![i] = value;
                return;
            }
        }

        if (_count < SmallCapacity)
        {
            _names ??= new string[SmallCapacity];
            _values ??= new object?[SmallCapacity];
            _names[_count] = name;
            _values[_count] = value;
            _count++;
            return;
        }

        _many = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i < _count; i++)
        {
            _many[_names![i]] = _values![i];
        }

        _many[name] = value;
        _names = null;
        _values = null;
        _count = 0;
    }

    private bool TryGetLocal(string name, out object? value)
    {
        if (_fixed is not null)
        {
            return _fixed.TryGetValue(name, out value);
        }

        if (_many is not null)
        {
            return _many.TryGetValue(name, out value);
        }

        for (int i = 0; i < _count; i++)
        {
            string local = _names![i];
            if (ReferenceEquals(local, name) || string.Equals(local, name, StringComparison.Ordinal))
            {
                value = _values![i];
                return true;
            }
        }

        value = null;
        return false;
    }
}
