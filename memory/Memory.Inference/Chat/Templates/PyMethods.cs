using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// The Python attributes jinja2's immutable sandbox lets a template reach: str methods, <c>dict.items/keys/values/get/copy</c>,
/// <c>list.index/count/copy</c>, and the attributes of namespaces, loops, macros and cyclers. Methods that mutate a list or
/// dict (<c>append</c>, <c>pop</c>, <c>update</c>, ...) exist but are unsafe: reading them gives an undefined value that
/// raises a SecurityError when called, exactly as <c>ImmutableSandboxedEnvironment</c> does.
/// </summary>
internal static class PyMethods
{
    private static readonly HashSet<string> UnsafeListMethods = new(StringComparer.Ordinal)
    {
        "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort",
    };

    private static readonly HashSet<string> UnsafeDictMethods = new(StringComparer.Ordinal)
    {
        "clear", "pop", "popitem", "setdefault", "update",
    };

    public static bool IsUnsafe(object? target, string name) => target switch
    {
        ListValue { Kind: SequenceKind.List } => UnsafeListMethods.Contains(name),
        DictValue => UnsafeDictMethods.Contains(name),
        _ => false,
    };

    public static bool TryGetAttribute(object? target, string name, out object? value)
    {
        value = null;
        switch (target)
        {
            case string s:
                value = StringMethod(s, name);
                return value is not null;
            case DictValue dict:
                value = DictMethod(dict, name);
                return value is not null;
            case ListValue list:
                value = ListMethod(list, name);
                return value is not null;
            case bool or long or double:
                value = NumberAttribute(target, name);
                return value is not null;
            case NamespaceValue ns:
                return ns.TryGet(name, out value);
            case LoopContext loop:
                return loop.TryGetAttribute(name, out value);
            case MacroValue macro:
                return macro.TryGetAttribute(name, out value);
            case CyclerValue cycler:
                return cycler.TryGetAttribute(name, out value);
            default:
                return false;
        }
    }

    /// <summary>The attributes of Python ints and floats a template may plausibly touch.</summary>
    private static object? NumberAttribute(object number, string name)
    {
        object self = number is bool b ? (b ? 1L : 0L) : number;
        bool integral = number is not double;
        return name switch
        {
            "real" => self,
            "imag" => integral ? 0L : 0.0,
            "numerator" when integral => self,
            "denominator" when integral => 1L,
            "conjugate" => Method(number, name, 0, [], (_, _) => self),
            "bit_length" when integral => Method(number, name, 0, [], (_, _) => (long)(64 - long.LeadingZeroCount(Math.Abs((long)self)))),
            "is_integer" when !integral => Method(number, name, 0, [], (_, _) => double.IsFinite((double)self) && Math.Floor((double)self) == (double)self),
            _ => null,
        };
    }

    private static BuiltinFunction? DictMethod(DictValue dict, string name) => name switch
    {
        "items" => Method(dict, name, 0, [], (_, _) => dict.ItemsList(SequenceKind.DictItems)),
        "keys" => Method(dict, name, 0, [], (_, _) => new ListValue(dict.Keys.ToArray(), SequenceKind.DictKeys)),
        "values" => Method(dict, name, 0, [], (_, _) => new ListValue(dict.Values.ToArray(), SequenceKind.DictValues)),
        "get" => Method(dict, name, 1, ["key", "default"], (_, a) => dict.TryGet(a[0], out var found) ? found : a.Or(1, null)),
        "copy" => Method(dict, name, 0, [], (_, _) =>
        {
            var copy = new DictValue();
            foreach (var (key, item) in dict.Items)
            {
                copy.Set(key, item);
            }

            return copy;
        }),
        _ => null,
    };

    private static BuiltinFunction? ListMethod(ListValue list, string name)
    {
        if (!list.IsIndexable)
        {
            return null;
        }

        return name switch
        {
            "index" => Method(list, name, 1, ["value", "start", "stop"], (_, a) =>
            {
                var (start, stop, _, _) = Py.SliceIndices(list.Count, Optional(a, 1), Optional(a, 2), 1);
                for (long i = start; i < stop; i++)
                {
                    if (Py.Equal(list.Items[(int)i], a[0]))
                    {
                        return i;
                    }
                }

                throw TemplateErrors.Value($"{PyFormat.Repr(a[0])} is not in {list.TypeName}");
            }),
            "count" => Method(list, name, 1, ["value"], (_, a) => (long)list.Items.Count(item => Py.Equal(item, a[0]))),
            "copy" when list.Kind == SequenceKind.List => Method(list, name, 0, [], (_, _) => new ListValue(list.Items.ToArray())),
            _ => null,
        };
    }

    private static BuiltinFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => Method(s, name, 0, ["chars"], (_, a) => PyString.Strip(s, OptionalString(a, 0), left: true, right: true)),
        "lstrip" => Method(s, name, 0, ["chars"], (_, a) => PyString.Strip(s, OptionalString(a, 0), left: true, right: false)),
        "rstrip" => Method(s, name, 0, ["chars"], (_, a) => PyString.Strip(s, OptionalString(a, 0), left: false, right: true)),
        "startswith" => Method(s, name, 1, ["prefix", "start", "end"], (_, a) => Affix(s, a, (text, p) => text.StartsWith(p, StringComparison.Ordinal), name)),
        "endswith" => Method(s, name, 1, ["suffix", "start", "end"], (_, a) => Affix(s, a, (text, p) => text.EndsWith(p, StringComparison.Ordinal), name)),
        "split" => Method(s, name, 0, ["sep", "maxsplit"], (r, a) => Allocated(r, PyString.Split(s, OptionalString(a, 0), Optional(a, 1) ?? -1))),
        "rsplit" => Method(s, name, 0, ["sep", "maxsplit"], (r, a) => Allocated(r, PyString.RSplit(s, OptionalString(a, 0), Optional(a, 1) ?? -1))),
        "splitlines" => Method(s, name, 0, ["keepends"], (r, a) => Allocated(r, PyString.SplitLines(s, Py.Truthy(a.Or(0, false))).Cast<object?>().ToList())),
        "lower" or "casefold" => Method(s, name, 0, [], (_, _) => PyString.Lower(s)),
        "upper" => Method(s, name, 0, [], (_, _) => PyString.Upper(s)),
        "title" => Method(s, name, 0, [], (_, _) => PyString.Title(s)),
        "capitalize" => Method(s, name, 0, [], (_, _) => PyString.Capitalize(s)),
        "swapcase" => Method(s, name, 0, [], (_, _) => PyString.SwapCase(s)),
        "replace" => Method(s, name, 2, ["old", "new", "count"], (r, a) => PyString.Replace(r, s, RequireString(a[0], name), RequireString(a[1], name), Optional(a, 2) ?? -1)),
        "find" => Method(s, name, 1, ["sub", "start", "end"], (_, a) => Find(s, a, name, reverse: false, raise: false)),
        "rfind" => Method(s, name, 1, ["sub", "start", "end"], (_, a) => Find(s, a, name, reverse: true, raise: false)),
        "index" => Method(s, name, 1, ["sub", "start", "end"], (_, a) => Find(s, a, name, reverse: false, raise: true)),
        "rindex" => Method(s, name, 1, ["sub", "start", "end"], (_, a) => Find(s, a, name, reverse: true, raise: true)),
        "count" => Method(s, name, 1, ["sub", "start", "end"], (_, a) => Count(s, a, name)),
        "join" => Method(s, name, 1, ["iterable"], (r, a) => Join(r, s, a[0])),
        "removeprefix" => Method(s, name, 1, ["prefix"], (_, a) => RequireString(a[0], name) is var p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s),
        "removesuffix" => Method(s, name, 1, ["suffix"], (_, a) => RequireString(a[0], name) is var p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s),
        "center" => Method(s, name, 1, ["width", "fillchar"], (r, a) => Justify(r, s, a, '^')),
        "ljust" => Method(s, name, 1, ["width", "fillchar"], (r, a) => Justify(r, s, a, '<')),
        "rjust" => Method(s, name, 1, ["width", "fillchar"], (r, a) => Justify(r, s, a, '>')),
        "zfill" => Method(s, name, 1, ["width"], (r, a) => ZFill(r, s, Py.ToLong(a[0]))),
        "partition" => Method(s, name, 1, ["sep"], (_, a) => Partition(s, RequireString(a[0], name), reverse: false)),
        "rpartition" => Method(s, name, 1, ["sep"], (_, a) => Partition(s, RequireString(a[0], name), reverse: true)),
        "isdigit" or "isdecimal" => Method(s, name, 0, [], (_, _) => PyString.All(s, PyString.IsDigitPoint)),
        "isnumeric" => Method(s, name, 0, [], (_, _) => PyString.All(s, PyString.IsNumericPoint)),
        "isalpha" => Method(s, name, 0, [], (_, _) => PyString.All(s, PyString.IsAlphaPoint)),
        "isalnum" => Method(s, name, 0, [], (_, _) => PyString.All(s, p => PyString.IsAlphaPoint(p) || PyString.IsNumericPoint(p))),
        "isspace" => Method(s, name, 0, [], (_, _) => PyString.All(s, PyString.IsSpacePoint)),
        "isascii" => Method(s, name, 0, [], (_, _) => s.All(c => c < 0x80)),
        "islower" => Method(s, name, 0, [], (_, _) => PyString.IsLower(s)),
        "isupper" => Method(s, name, 0, [], (_, _) => PyString.IsUpper(s)),
        "istitle" => Method(s, name, 0, [], (_, _) => s.Length > 0 && PyString.Title(s) == s && s.Any(char.IsLetter)),
        "format" => new BuiltinFunction(name, $"<built-in method format of str object>", (r, a) => PyFormat.Format(r, s, a)),
        "format_map" => Method(s, name, 1, ["mapping"], (r, a) => PyFormat.Format(r, s, new CallArguments([], (a[0] as DictValue ?? throw TemplateErrors.Type("format_map() argument must be a mapping")).Items
            .Select(p => new KeyValuePair<string, object?>(p.Key as string ?? PyFormat.Str(p.Key), p.Value)).ToList()))),
        _ => null,
    };

    private static BuiltinFunction Method(object receiver, string name, int required, string[] parameters, Func<TemplateRenderer, BoundArguments, object?> body) =>
        BuiltinFunction.Method(receiver, name, (renderer, arguments) => body(renderer, arguments.Bind(name, required, parameters)));

    private static long? Optional(BoundArguments arguments, int index) => arguments[index] is null || !arguments.Has(index) ? null : Py.ToLong(arguments[index]);

    private static string? OptionalString(BoundArguments arguments, int index) => arguments[index] switch
    {
        null => null,
        string s => s,
        var other => throw TemplateErrors.Type($"argument must be str or None, not {Py.TypeName(other)}"),
    };

    private static string RequireString(object? value, string method) =>
        value as string ?? throw TemplateErrors.Type($"{method}() argument must be str, not {Py.TypeName(value)}");

    private static ListValue Allocated(TemplateRenderer renderer, List<object?> items)
    {
        renderer.Allocate(items.Count);
        return new ListValue(items);
    }

    private static bool Affix(string s, BoundArguments a, Func<string, string, bool> test, string method)
    {
        string text = a.Has(1) || a.Has(2) ? PyString.Slice(s, Optional(a, 1), Optional(a, 2), 1) : s;
        return a[0] switch
        {
            string p => test(text, p),
            ListValue { Kind: SequenceKind.Tuple } tuple => tuple.Items.Any(p => test(text, RequireString(p, method))),
            var other => throw TemplateErrors.Type($"{method} first arg must be str or a tuple of str, not {Py.TypeName(other)}"),
        };
    }

    /// <summary>str.find/rfind/index/rindex with CPython's ADJUST_INDICES: a start past the end finds nothing, not even "".</summary>
    private static long Find(string s, BoundArguments a, string method, bool reverse, bool raise)
    {
        string sub = RequireString(a[0], method);
        long length = PyString.Length(s);
        long start = Optional(a, 1) ?? 0;
        long end = Optional(a, 2) ?? length;
        start = start < 0 ? Math.Max(0, start + length) : start;
        end = end > length ? length : end < 0 ? Math.Max(0, end + length) : end;
        int at = -1;
        if (end - start >= PyString.Length(sub))
        {
            string region = PyString.Slice(s, start, end, 1);
            at = reverse ? region.LastIndexOf(sub, StringComparison.Ordinal) : region.IndexOf(sub, StringComparison.Ordinal);
            if (at >= 0)
            {
                return start + PyString.CodePointIndex(region, at);
            }
        }

        if (at < 0)
        {
            return raise ? throw TemplateErrors.Value("substring not found") : -1;
        }

        return -1;
    }

    private static long Count(string s, BoundArguments a, string method)
    {
        string sub = RequireString(a[0], method);
        string region = a.Has(1) || a.Has(2) ? PyString.Slice(s, Optional(a, 1), Optional(a, 2), 1) : s;
        if (sub.Length == 0)
        {
            return PyString.Length(region) + 1;
        }

        long count = 0;
        for (int at = region.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = region.IndexOf(sub, at + sub.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public static string Join(TemplateRenderer renderer, string separator, object? items)
    {
        var builder = new StringBuilder();
        bool first = true;
        int index = 0;
        foreach (var item in Py.Iterate(items))
        {
            if (item is not string text)
            {
                throw TemplateErrors.Type($"sequence item {index}: expected str instance, {Py.TypeName(item)} found");
            }

            index++;

            if (!first)
            {
                builder.Append(separator);
            }

            first = false;
            renderer.Allocate(text.Length + separator.Length);
            builder.Append(text);
            TemplateRenderer.CheckLength(builder.Length);
        }

        return builder.ToString();
    }

    private static string Justify(TemplateRenderer renderer, string s, BoundArguments a, char align)
    {
        long width = Py.ToLong(a[0]);
        string fill = a.Or(1, " ") as string ?? throw TemplateErrors.Type("The fill character must be a unicode character");
        if (PyString.Length(fill) != 1)
        {
            throw TemplateErrors.Type("The fill character must be exactly one character long");
        }

        renderer.Allocate(Math.Max(width, s.Length));
        int length = PyString.Length(s);
        if (width <= length)
        {
            return s;
        }

        long padding = width - length;
        // CPython's str.center: the odd padding character goes left only when both the padding and the width are odd.
        long left = align switch
        {
            '<' => 0,
            '>' => padding,
            _ => (padding / 2) + (padding & width & 1),
        };
        return string.Concat(Enumerable.Repeat(fill, (int)left)) + s + string.Concat(Enumerable.Repeat(fill, (int)(padding - left)));
    }

    private static string ZFill(TemplateRenderer renderer, string s, long width)
    {
        renderer.Allocate(Math.Max(width, s.Length));
        int length = PyString.Length(s);
        if (width <= length)
        {
            return s;
        }

        int sign = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        return s[..sign] + new string('0', (int)(width - length)) + s[sign..];
    }

    private static ListValue Partition(string s, string separator, bool reverse)
    {
        if (separator.Length == 0)
        {
            throw TemplateErrors.Value("empty separator");
        }

        int at = reverse ? s.LastIndexOf(separator, StringComparison.Ordinal) : s.IndexOf(separator, StringComparison.Ordinal);
        if (at < 0)
        {
            return reverse ? ListValue.Tuple("", "", s) : ListValue.Tuple(s, "", "");
        }

        return ListValue.Tuple(s[..at], separator, s[(at + separator.Length)..]);
    }
}
