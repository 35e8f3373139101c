namespace Memory.Inference.Chat.Templates;

/// <summary>Evaluated arguments of a call, filter or test: positional values and keyword values in source order.</summary>
internal sealed class CallArguments
{
    public static readonly CallArguments Empty = new([], []);

    public CallArguments(IReadOnlyList<object?> positional, IReadOnlyList<KeyValuePair<string, object?>> named)
    {
        Positional = positional;
        Named = named;
    }

    public IReadOnlyList<object?> Positional { get; }

    public IReadOnlyList<KeyValuePair<string, object?>> Named { get; }

    public int Count => Positional.Count + Named.Count;

    public static CallArguments Of(params object?[] positional) => new(positional, []);

    /// <summary>
    /// Binds the arguments to a Python-style signature: positional values fill <paramref name="parameters"/> in order,
    /// keywords by name; too many positionals, unknown or repeated keywords, and missing required parameters are the
    /// TypeErrors Python would raise.
    /// </summary>
    public BoundArguments Bind(string function, int required, params string[] parameters)
    {
        if (Positional.Count > parameters.Length)
        {
            throw TemplateErrors.Type($"{function}() takes at most {parameters.Length} argument{(parameters.Length == 1 ? "" : "s")} ({Positional.Count} given)");
        }

        var values = new object?[parameters.Length];
        var present = new bool[parameters.Length];
        for (int i = 0; i < Positional.Count; i++)
        {
            values[i] = Positional[i];
            present[i] = true;
        }

        foreach (var (name, value) in Named)
        {
            int index = Array.IndexOf(parameters, name);
            if (index < 0)
            {
                throw TemplateErrors.Type($"{function}() got an unexpected keyword argument {PyFormat.Repr(name)}");
            }

            if (present[index])
            {
                throw TemplateErrors.Type($"{function}() got multiple values for argument {PyFormat.Repr(name)}");
            }

            values[index] = value;
            present[index] = true;
        }

        for (int i = 0; i < required; i++)
        {
            if (!present[i])
            {
                throw TemplateErrors.Type($"{function}() missing 1 required positional argument: {PyFormat.Repr(parameters[i])}");
            }
        }

        return new BoundArguments(values, present);
    }
}

/// <summary>Arguments bound to a signature by <see cref="CallArguments.Bind"/>.</summary>
internal readonly struct BoundArguments
{
    private readonly object?[] _values;
    private readonly bool[] _present;

    public BoundArguments(object?[] values, bool[] present)
    {
        _values = values;
        _present = present;
    }

    public object? this[int index] => _values[index];

    public bool Has(int index) => _present[index];

    public object? Or(int index, object? fallback) => _present[index] ? _values[index] : fallback;
}
