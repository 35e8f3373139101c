namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Variables of one jinja2 frame. Lookups walk outwards; assignments always go to the innermost scope. A for-loop
/// iteration, a macro call, a <c>with</c> block and captured bodies (<c>{% set x %}</c>, <c>{% filter %}</c>) each get a
/// new scope, so what they set does not leak out; <c>if</c> blocks do not.
/// </summary>
internal sealed class Scope
{
    private readonly IReadOnlyDictionary<string, object?>? _fixed;
    private Dictionary<string, object?>? _variables;

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
            if (scope._variables is not null && scope._variables.TryGetValue(name, out value))
            {
                return true;
            }

            if (scope._fixed is not null && scope._fixed.TryGetValue(name, out value))
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
            throw new InvalidOperationException("the globals scope is read-only");
        }

        (_variables ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = value;
    }
}
