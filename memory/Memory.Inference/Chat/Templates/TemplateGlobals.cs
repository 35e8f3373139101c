// Filters and globals are stored as delegates whose return type is object?; a narrower return type buys nothing.
#pragma warning disable CA1859

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// The globals a chat template sees: jinja2's <c>range</c> (capped at 100000 items, as the sandbox does), <c>dict</c>,
/// <c>namespace</c>, <c>cycler</c>, <c>joiner</c>, <c>lipsum</c> (refused), and Hugging Face's <c>raise_exception</c>
/// and <c>strftime_now</c>. Shared read-only by all renders.
/// </summary>
internal static class TemplateGlobals
{
    /// <summary>jinja2's sandbox <c>MAX_RANGE</c>.</summary>
    public const int MaxRange = 100000;

    public static readonly Scope Scope = new(new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["range"] = new BuiltinFunction("range", "<class 'range'>", Range),
        ["dict"] = new BuiltinFunction("dict", "<class 'dict'>", Dict),
        ["namespace"] = new BuiltinFunction("namespace", "<class 'jinja2.utils.Namespace'>", Namespace),
        ["cycler"] = new BuiltinFunction("cycler", "<class 'jinja2.utils.Cycler'>", (_, a) => new CyclerValue(a.Positional)),
        ["joiner"] = new BuiltinFunction("joiner", "<class 'jinja2.utils.Joiner'>", (_, a) => new JoinerValue(PyFormat.Str(a.Bind("joiner", 0, "sep").Or(0, ", ")))),
        ["lipsum"] = new BuiltinFunction("lipsum", "<function generate_lorem_ipsum>", (_, _) => throw TemplateErrors.Runtime("lipsum() is not supported by this chat template renderer")),
        ["raise_exception"] = new BuiltinFunction("raise_exception", "<function raise_exception>", RaiseException),
        ["strftime_now"] = new BuiltinFunction("strftime_now", "<function strftime_now>", StrftimeNow),
    });

    private static object? Range(TemplateRenderer renderer, CallArguments arguments)
    {
        if (arguments.Named.Count > 0)
        {
            throw TemplateErrors.Type("range() takes no keyword arguments");
        }

        var values = arguments.Positional.Select(v => v is long or bool
            ? Py.ToLong(v)
            : throw TemplateErrors.Type($"{PyFormat.Repr(Py.TypeName(v))} object cannot be interpreted as an integer")).ToArray();
        var (start, stop, step) = values.Length switch
        {
            1 => (0L, values[0], 1L),
            2 => (values[0], values[1], 1L),
            3 => (values[0], values[1], values[2]),
            0 => throw TemplateErrors.Type("range expected at least 1 argument, got 0"),
            _ => throw TemplateErrors.Type($"range expected at most 3 arguments, got {values.Length}"),
        };
        if (step == 0)
        {
            throw TemplateErrors.Value("range() arg 3 must not be zero");
        }

        long count = step > 0 ? (stop > start ? ((stop - start - 1) / step) + 1 : 0) : (start > stop ? ((start - stop - 1) / -step) + 1 : 0);
        if (count > MaxRange)
        {
            throw TemplateErrors.Runtime($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        }

        renderer.Allocate(count);
        var items = new object?[count];
        for (long i = 0; i < count; i++)
        {
            items[i] = start + (i * step);
        }

        return new ListValue(items, SequenceKind.Range) { RangeRepr = step == 1 ? $"range({start}, {stop})" : $"range({start}, {stop}, {step})" };
    }

    private static object? Dict(TemplateRenderer renderer, CallArguments arguments)
    {
        var result = new DictValue();
        if (arguments.Positional.Count > 1)
        {
            throw TemplateErrors.Type($"dict expected at most 1 argument, got {arguments.Positional.Count}");
        }

        if (arguments.Positional.Count == 1)
        {
            Fill(result, arguments.Positional[0]);
        }

        foreach (var (name, value) in arguments.Named)
        {
            result.Set(name, value);
        }

        renderer.Allocate(result.Count);
        return result;
    }

    private static void Fill(DictValue result, object? source)
    {
        if (source is DictValue dict)
        {
            foreach (var (key, value) in dict.Items)
            {
                result.Set(key, value);
            }

            return;
        }

        foreach (var pair in Py.Iterate(source))
        {
            var items = Py.Iterate(pair).ToList();
            if (items.Count != 2)
            {
                throw TemplateErrors.Value($"dictionary update sequence element has length {items.Count}; 2 is required");
            }

            result.Set(items[0], items[1]);
        }
    }

    private static object? Namespace(TemplateRenderer renderer, CallArguments arguments)
    {
        var result = new NamespaceValue();
        var initial = new DictValue();
        if (arguments.Positional.Count > 1)
        {
            throw TemplateErrors.Type($"dict expected at most 1 argument, got {arguments.Positional.Count}");
        }

        if (arguments.Positional.Count == 1)
        {
            Fill(initial, arguments.Positional[0]);
        }

        foreach (var (key, value) in initial.Items)
        {
            result.Set(key as string ?? throw TemplateErrors.Type("namespace attribute names must be strings"), value);
        }

        foreach (var (name, value) in arguments.Named)
        {
            result.Set(name, value);
        }

        return result;
    }

    private static object? RaiseException(TemplateRenderer renderer, CallArguments arguments)
    {
        var a = arguments.Bind("raise_exception", 1, "message");
        throw TemplateErrors.Raised(PyFormat.Str(a[0]));
    }

    private static object? StrftimeNow(TemplateRenderer renderer, CallArguments arguments)
    {
        var a = arguments.Bind("strftime_now", 1, "format");
        string format = a[0] as string ?? throw TemplateErrors.Type($"strftime() argument 1 must be str, not {Py.TypeName(a[0])}");
        return Strftime.Format(renderer.Clock.GetLocalNow().DateTime, format);
    }
}
