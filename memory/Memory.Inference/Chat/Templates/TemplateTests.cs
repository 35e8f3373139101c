namespace Memory.Inference.Chat.Templates;

/// <summary>jinja2 3.1's built-in tests (<c>x is defined</c>, <c>x is divisibleby 3</c>, <c>x is eq 'a'</c>, ...), with Python's rules.</summary>
internal static class TemplateTests
{
    private static readonly Dictionary<string, TestFunction> Tests = new(StringComparer.Ordinal)
    {
        ["odd"] = (r, v, a) => NoArguments(a, "odd") && Py.Equal(Py.Binary(r, "%", v, 2L), 1L),
        ["even"] = (r, v, a) => NoArguments(a, "even") && Py.Equal(Py.Binary(r, "%", v, 2L), 0L),
        ["divisibleby"] = (r, v, a) => Py.Equal(Py.Binary(r, "%", v, a.Bind("test_divisibleby", 1, "num")[0]), 0L),
        ["defined"] = (_, v, a) => NoArguments(a, "defined") && v is not UndefinedValue,
        ["undefined"] = (_, v, a) => NoArguments(a, "undefined") && v is UndefinedValue,
        ["filter"] = (_, v, a) => NoArguments(a, "filter") && v is string name && TemplateFilters.Exists(name),
        ["test"] = (_, v, a) => NoArguments(a, "test") && v is string name && Find(name) is not null,
        ["none"] = (_, v, a) => NoArguments(a, "none") && v is null,
        ["boolean"] = (_, v, a) => NoArguments(a, "boolean") && v is bool,
        ["false"] = (_, v, a) => NoArguments(a, "false") && v is false,
        ["true"] = (_, v, a) => NoArguments(a, "true") && v is true,
        ["integer"] = (_, v, a) => NoArguments(a, "integer") && v is long,
        ["float"] = (_, v, a) => NoArguments(a, "float") && v is double,
        ["lower"] = (_, v, a) => NoArguments(a, "lower") && PyString.IsLower(PyFormat.Str(v)),
        ["upper"] = (_, v, a) => NoArguments(a, "upper") && PyString.IsUpper(PyFormat.Str(v)),
        ["string"] = (_, v, a) => NoArguments(a, "string") && v is string,
        ["mapping"] = (_, v, a) => NoArguments(a, "mapping") && v is DictValue,
        ["number"] = (_, v, a) => NoArguments(a, "number") && Py.IsNumber(v),
        ["sequence"] = (_, v, a) => NoArguments(a, "sequence") && v is string or DictValue or UndefinedValue or ListValue { IsIndexable: true },
        ["iterable"] = (_, v, a) => NoArguments(a, "iterable") && v is string or DictValue or UndefinedValue or ListValue or GeneratorValue or LoopContext,
        ["callable"] = (_, v, a) => NoArguments(a, "callable") && v is CallableValue or UndefinedValue,
        ["sameas"] = (_, v, a) => SameAs(v, a.Bind("test_sameas", 1, "other")[0]),
        ["escaped"] = (_, _, a) => !NoArguments(a, "escaped"),
        ["in"] = (_, v, a) => Py.Contains(a.Bind("test_in", 1, "seq")[0], v),
        ["=="] = Equal,
        ["eq"] = Equal,
        ["equalto"] = Equal,
        ["!="] = (r, v, a) => !Equal(r, v, a),
        ["ne"] = (r, v, a) => !Equal(r, v, a),
        [">"] = (_, v, a) => Py.Compare(">", v, Other(a)),
        ["gt"] = (_, v, a) => Py.Compare(">", v, Other(a)),
        ["greaterthan"] = (_, v, a) => Py.Compare(">", v, Other(a)),
        [">="] = (_, v, a) => Py.Compare(">=", v, Other(a)),
        ["ge"] = (_, v, a) => Py.Compare(">=", v, Other(a)),
        ["<"] = (_, v, a) => Py.Compare("<", v, Other(a)),
        ["lt"] = (_, v, a) => Py.Compare("<", v, Other(a)),
        ["lessthan"] = (_, v, a) => Py.Compare("<", v, Other(a)),
        ["<="] = (_, v, a) => Py.Compare("<=", v, Other(a)),
        ["le"] = (_, v, a) => Py.Compare("<=", v, Other(a)),
    };

    /// <summary>The test jinja2 would run for <paramref name="name"/>; null when jinja2 has no such test.</summary>
    public static TestFunction? Find(string name) => Tests.GetValueOrDefault(name);

    private static bool NoArguments(CallArguments arguments, string name) => arguments.Count == 0
        ? true
        : throw TemplateErrors.Type($"test_{name}() takes 1 positional argument but {arguments.Count + 1} were given");

    private static object? Other(CallArguments arguments) => arguments.Bind("comparison", 1, "b")[0];

    private static bool Equal(TemplateRenderer renderer, object? value, CallArguments arguments) => Py.Equal(value, Other(arguments));

    /// <summary>Python's <c>is</c>: singletons, small cached integers, and the same object otherwise.</summary>
    private static bool SameAs(object? value, object? other) => (value, other) switch
    {
        (null, null) => true,
        (bool a, bool b) => a == b,
        (long a, long b) => a == b && a is >= -5 and <= 256,
        _ => value is not null && ReferenceEquals(value, other),
    };
}
