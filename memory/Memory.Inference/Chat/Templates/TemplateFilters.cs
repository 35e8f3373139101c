using System.Globalization;
using System.Text;

// Filters and globals are stored as delegates whose return type is object?; a narrower return type buys nothing.
#pragma warning disable CA1859

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// jinja2 3.1's built-in filters with their Python behaviour, plus Hugging Face's <c>tojson</c>. Filters that jinja2 has
/// but chat templates have no use for (HTML, URLs, randomness) are recognised and fail with a clear message when run.
/// Filters that jinja2 implements as generators (<c>select</c>, <c>map</c>, <c>unique</c>, <c>batch</c>, <c>items</c>,
/// <c>reverse</c>) return a <see cref="GeneratorValue"/>, lazily, as jinja2 does.
/// </summary>
internal static class TemplateFilters
{
    private static readonly Dictionary<string, FilterFunction> Filters = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = Attr,
        ["batch"] = Batch,
        ["capitalize"] = (_, v, a) => NoArguments(a, "capitalize", PyString.Capitalize(PyFormat.Str(v))),
        ["center"] = Center,
        ["count"] = (_, v, a) => NoArguments(a, "count", (long)Py.Length(v)),
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = (_, v, a) => NoArguments(a, "escape", Escape(PyFormat.Str(v))),
        ["escape"] = (_, v, a) => NoArguments(a, "escape", Escape(PyFormat.Str(v))),
        ["first"] = First,
        ["float"] = Float,
        ["forceescape"] = (_, v, a) => NoArguments(a, "forceescape", Escape(PyFormat.Str(v))),
        ["format"] = Format,
        ["indent"] = Indent,
        ["int"] = Int,
        ["items"] = Items,
        ["join"] = Join,
        ["last"] = Last,
        ["length"] = (_, v, a) => NoArguments(a, "length", (long)Py.Length(v)),
        ["list"] = (r, v, a) => NoArguments(a, "list", ToList(r, v)),
        ["lower"] = (_, v, a) => NoArguments(a, "lower", PyString.Lower(PyFormat.Str(v))),
        ["map"] = Map,
        ["max"] = (r, v, a) => MinOrMax(r, v, a, "max"),
        ["min"] = (r, v, a) => MinOrMax(r, v, a, "min"),
        ["reject"] = (r, v, a) => Select(r, v, a, attribute: false, keep: false),
        ["rejectattr"] = (r, v, a) => Select(r, v, a, attribute: true, keep: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = (_, v, a) => NoArguments(a, "safe", PyFormat.Str(v)),
        ["select"] = (r, v, a) => Select(r, v, a, attribute: false, keep: true),
        ["selectattr"] = (r, v, a) => Select(r, v, a, attribute: true, keep: true),
        ["sort"] = Sort,
        ["string"] = (_, v, a) => NoArguments(a, "string", PyFormat.Str(v)),
        ["sum"] = Sum,
        ["title"] = (_, v, a) => NoArguments(a, "title", JinjaTitle(PyFormat.Str(v))),
        ["tojson"] = ToJson,
        ["trim"] = (_, v, a) => PyString.Strip(PyFormat.Str(v), a.Bind("do_trim", 0, "chars")[0] as string, left: true, right: true),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["upper"] = (_, v, a) => NoArguments(a, "upper", PyString.Upper(PyFormat.Str(v))),
        ["wordcount"] = (_, v, a) => NoArguments(a, "wordcount", WordCount(PyFormat.Str(v))),
        ["filesizeformat"] = Unsupported("filesizeformat"),
        ["groupby"] = Unsupported("groupby"),
        ["pprint"] = Unsupported("pprint"),
        ["random"] = Unsupported("random"),
        ["slice"] = Unsupported("slice"),
        ["striptags"] = Unsupported("striptags"),
        ["urlencode"] = Unsupported("urlencode"),
        ["urlize"] = Unsupported("urlize"),
        ["wordwrap"] = Unsupported("wordwrap"),
        ["xmlattr"] = Unsupported("xmlattr"),
    };

    /// <summary>The filter jinja2 would run for <paramref name="name"/>; null when jinja2 has no such filter.</summary>
    public static FilterFunction? Find(string name) => Filters.GetValueOrDefault(name);

    public static bool Exists(string name) => Filters.ContainsKey(name);

    private static FilterFunction Unsupported(string name) =>
        (_, _, _) => throw TemplateErrors.Runtime($"the '{name}' filter is not supported by this chat template renderer");

    private static object? NoArguments(CallArguments arguments, string name, object? result)
    {
        if (arguments.Count > 0)
        {
            throw TemplateErrors.Type($"{name}() takes 1 positional argument but {arguments.Count + 1} were given");
        }

        return result;
    }

    private static object? Abs(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        NoArguments(arguments, "abs", null);
        return value switch
        {
            bool b => (object)(b ? 1L : 0L),
            long l => l == long.MinValue ? throw Py.Overflow() : (object)Math.Abs(l),
            double d => (object)Math.Abs(d),
            _ => throw TemplateErrors.Type($"bad operand type for abs(): {PyFormat.Repr(Py.TypeName(value))}"),
        };
    }

    private static object? Attr(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_attr", 1, "name");
        string name = a[0] as string ?? throw TemplateErrors.Type("attribute name must be string");
        if (value is UndefinedValue undefined)
        {
            throw undefined.Fail();
        }

        if (PyMethods.TryGetAttribute(value, name, out var found))
        {
            return found;
        }

        return PyMethods.IsUnsafe(value, name) ? UndefinedValue.Unsafe(value, name) : UndefinedValue.Missing(value, name);
    }

    private static object? Batch(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_batch", 1, "linecount", "fill_with");
        long count = Py.ToLong(a[0]);
        object? fill = a[1];
        bool hasFill = a.Has(1) && fill is not null;
        return new GeneratorValue(Generate());

        IEnumerable<object?> Generate()
        {
            var batch = new List<object?>();
            foreach (var item in Py.Iterate(value))
            {
                if (batch.Count == count)
                {
                    yield return new ListValue(batch);
                    batch = [];
                }

                batch.Add(item);
            }

            if (batch.Count > 0)
            {
                if (hasFill && batch.Count < count)
                {
                    renderer.Allocate(count - batch.Count);
                }

                while (hasFill && batch.Count < count)
                {
                    batch.Add(fill);
                }

                yield return new ListValue(batch);
            }
        }
    }

    private static object? Center(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_center", 0, "width");
        var method = (BuiltinFunction)TemplateRenderer.GetAttribute(PyFormat.Str(value), "center")!;
        return method.Invoke(renderer, CallArguments.Of(a.Or(0, 80L)));
    }

    private static object? Default(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_default", 0, "default_value", "boolean");
        return value is UndefinedValue || (Py.Truthy(a.Or(1, false)) && !Py.Truthy(value)) ? a.Or(0, "") : value;
    }

    private static object? DictSort(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_dictsort", 0, "case_sensitive", "by", "reverse");
        bool caseSensitive = Py.Truthy(a.Or(0, false));
        int position = a.Or(1, "key") switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw TemplateErrors.Runtime("You can only sort by either \"key\" or \"value\""),
        };
        if (value is not DictValue dict)
        {
            throw TemplateErrors.Type($"{PyFormat.Repr(Py.TypeName(value))} object has no attribute 'items'");
        }

        var items = dict.ItemsList().Items.Cast<ListValue>().ToList();
        var sorted = SortStable(items.Cast<object?>().ToList(), item =>
        {
            var key = ((ListValue)item!).Items[position];
            return caseSensitive ? key : IgnoreCase(key);
        }, Py.Truthy(a.Or(2, false)));
        return new ListValue(sorted);
    }

    private static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>\"'") < 0)
        {
            return text;
        }

        return text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal)
            .Replace("\"", "&#34;", StringComparison.Ordinal);
    }

    private static object? First(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        NoArguments(arguments, "first", null);
        foreach (var item in Py.Iterate(value))
        {
            return item;
        }

        return UndefinedValue.WithHint("No first item, sequence was empty.");
    }

    private static object? Last(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        NoArguments(arguments, "last", null);
        var items = Reversed(value, "last");
        return items.Count > 0 ? items[0] : UndefinedValue.WithHint("No last item, sequence was empty.");
    }

    /// <summary>Python's <c>reversed(value)</c>: sequences, strings and dicts; generators and numbers are not reversible.</summary>
    private static List<object?> Reversed(object? value, string filter)
    {
        if (value is not (ListValue or DictValue or string or UndefinedValue))
        {
            throw TemplateErrors.Type($"{PyFormat.Repr(Py.TypeName(value))} object is not reversible");
        }

        var items = Py.Iterate(value).ToList();
        items.Reverse();
        return items;
    }

    private static object? Float(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_float", 0, "default");
        return TryFloat(value, out double result) ? result : a.Or(0, 0.0);
    }

    /// <summary>Python's <c>float(value)</c>; false where it would raise TypeError or ValueError.</summary>
    public static bool TryFloat(object? value, out double result)
    {
        result = 0;
        switch (value)
        {
            case bool or long or double:
                result = Py.ToDouble(value);
                return true;
            case string s:
                return TryParsePythonFloat(s, out result);
            case UndefinedValue undefined:
                throw undefined.Fail();
            default:
                return false;
        }
    }

    private static bool TryParsePythonFloat(string s, out double result)
    {
        string text = NumberText(s);
        string lower = text.ToLowerInvariant().TrimStart('+', '-');
        bool negative = text.StartsWith('-');
        if (lower is "inf" or "infinity" or "nan")
        {
            result = lower == "nan" ? double.NaN : negative ? double.NegativeInfinity : double.PositiveInfinity;
            return text.Length - lower.Length <= 1;
        }

        if (!ValidUnderscores(text))
        {
            result = 0;
            return false;
        }

        return double.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out result);
    }

    /// <summary>
    /// The text Python's int() and float() parse: surrounding whitespace removed, where whitespace is ASCII whitespace or
    /// non-ASCII Unicode whitespace (CPython maps the latter to spaces first), so U+001C..U+001F are not stripped.
    /// </summary>
    private static string NumberText(string s)
    {
        static bool Strippable(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' || (c >= 128 && PyString.IsSpace(c));
        int start = 0;
        int end = s.Length;
        while (start < end && Strippable(s[start]))
        {
            start++;
        }

        while (end > start && Strippable(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    private static bool ValidUnderscores(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '_' && (i == 0 || i == text.Length - 1 || !char.IsAsciiHexDigit(text[i - 1]) || !char.IsAsciiHexDigit(text[i + 1])))
            {
                return false;
            }
        }

        return true;
    }

    private static object? Format(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        if (arguments.Positional.Count > 0 && arguments.Named.Count > 0)
        {
            throw TemplateErrors.Runtime("can't handle positional and keyword arguments at the same time");
        }

        object? values;
        if (arguments.Named.Count > 0)
        {
            var dict = new DictValue();
            foreach (var (name, item) in arguments.Named)
            {
                dict.Set(name, item);
            }

            values = dict;
        }
        else
        {
            values = new ListValue(arguments.Positional.ToArray(), SequenceKind.Tuple);
        }

        return PyFormat.Printf(renderer, PyFormat.Str(value), values);
    }

    private static object? Indent(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_indent", 0, "width", "first", "blank");
        string indentation = a.Or(0, 4L) is string text ? text : Spaces(renderer, Py.ToLong(a.Or(0, 4L)));
        string s = value switch
        {
            string str => str,
            UndefinedValue undefined => throw undefined.Fail(),
            _ => throw TemplateErrors.Type($"unsupported operand type(s) for +=: {PyFormat.Repr(Py.TypeName(value))} and 'str'"),
        };
        var lines = PyString.SplitLines(s + "\n");
        renderer.Allocate(s.Length + ((long)lines.Count * indentation.Length));
        string result;
        if (Py.Truthy(a.Or(2, false)))
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            var builder = new StringBuilder(lines[0]);
            for (int i = 1; i < lines.Count; i++)
            {
                builder.Append('\n');
                if (lines[i].Length > 0)
                {
                    builder.Append(indentation);
                }

                builder.Append(lines[i]);
            }

            result = builder.ToString();
        }

        return Py.Truthy(a.Or(1, false)) ? indentation + result : result;
    }

    private static object? Int(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_int", 0, "default", "base");
        object? fallback = a.Or(0, 0L);
        long numberBase = Py.ToLong(a.Or(1, 10L));
        switch (value)
        {
            case bool or long:
                return Py.ToLong(value);
            case double d:
                if (double.IsNaN(d) || double.IsInfinity(d))
                {
                    throw d is double.NaN ? TemplateErrors.Value("cannot convert float NaN to integer") : TemplateErrors.Runtime("cannot convert float infinity to integer");
                }

                return d is >= -9.2233720368547758E18 and < 9.2233720368547758E18 ? (long)Math.Truncate(d) : throw Py.Overflow();
            case string s:
                if (TryParsePythonInt(s, numberBase, out long parsed))
                {
                    return parsed;
                }

                // jinja2's quirk so that "42.23"|int gives 42.
                if (TryParsePythonFloat(s, out double floating) && !double.IsNaN(floating) && !double.IsInfinity(floating)
                    && floating is >= -9.2233720368547758E18 and < 9.2233720368547758E18)
                {
                    return (long)Math.Truncate(floating);
                }

                return fallback;
            case UndefinedValue undefined:
                throw undefined.Fail();
            default:
                return fallback;
        }
    }

    /// <summary>Python's <c>int(text, base)</c>: whitespace, sign, <c>_</c> between digits, and the base's prefix allowed.</summary>
    private static bool TryParsePythonInt(string s, long numberBase, out long result)
    {
        result = 0;
        string text = NumberText(s);
        bool negative = false;
        if (text.Length > 0 && text[0] is '+' or '-')
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        if (text.Length > 1 && text[0] == '0' && char.ToLowerInvariant(text[1]) is 'x' or 'o' or 'b')
        {
            long prefixBase = char.ToLowerInvariant(text[1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            if (numberBase == 0 || numberBase == prefixBase)
            {
                numberBase = prefixBase;
                text = text[2..];
                if (text.StartsWith('_'))
                {
                    text = text[1..];
                }
            }
        }

        if (numberBase == 0)
        {
            numberBase = 10;
            if (text.Length > 1 && text.TrimStart('0', '_').Length == 0)
            {
                text = "0";
            }
            else if (text.Length > 1 && text[0] == '0')
            {
                return false;
            }
        }

        if (text.Length == 0 || numberBase is < 2 or > 36 || !ValidUnderscores(text))
        {
            return false;
        }

        System.Numerics.BigInteger number = 0;
        foreach (char c in text)
        {
            if (c == '_')
            {
                continue;
            }

            int digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= numberBase)
            {
                return false;
            }

            number = (number * numberBase) + digit;
        }

        if (negative)
        {
            number = -number;
        }

        if (number > long.MaxValue || number < long.MinValue)
        {
            throw Py.Overflow();
        }

        result = (long)number;
        return true;
    }

    private static object? Items(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        NoArguments(arguments, "items", null);
        return new GeneratorValue(Generate());

        IEnumerable<object?> Generate()
        {
            if (value is UndefinedValue)
            {
                yield break;
            }

            if (value is not DictValue dict)
            {
                throw TemplateErrors.Type("Can only get item pairs from a mapping.");
            }

            foreach (var (key, item) in dict.Items)
            {
                yield return ListValue.Tuple(key, item);
            }
        }
    }

    private static object? Join(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_join", 0, "d", "attribute");
        string separator = PyFormat.Str(a.Or(0, ""));
        var getter = a.Has(1) && a[1] is not null ? AttributeGetter(renderer, a[1], null) : null;
        var builder = new StringBuilder();
        bool first = true;
        foreach (var item in Py.Iterate(value))
        {
            if (!first)
            {
                builder.Append(separator);
            }

            first = false;
            string text = PyFormat.Str(getter is null ? item : getter(item));
            renderer.Allocate(text.Length + separator.Length);
            builder.Append(text);
            TemplateRenderer.CheckLength(builder.Length);
        }

        return builder.ToString();
    }

    private static ListValue ToList(TemplateRenderer renderer, object? value)
    {
        var items = Py.Iterate(value).ToList();
        renderer.Allocate(items.Count);
        return new ListValue(items);
    }

    private static object? Map(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        return new GeneratorValue(Generate());

        IEnumerable<object?> Generate()
        {
            if (!Py.Truthy(value))
            {
                yield break;
            }

            Func<object?, object?> function;
            if (arguments.Positional.Count == 0 && arguments.Named.Any(n => n.Key == "attribute"))
            {
                object? attribute = null;
                object? fallback = null;
                foreach (var (name, item) in arguments.Named)
                {
                    switch (name)
                    {
                        case "attribute":
                            attribute = item;
                            break;
                        case "default":
                            fallback = item;
                            break;
                        default:
                            throw TemplateErrors.Runtime($"Unexpected keyword argument {PyFormat.Repr(name)}");
                    }
                }

                function = AttributeGetter(renderer, attribute, fallback);
            }
            else
            {
                if (arguments.Positional.Count == 0)
                {
                    throw TemplateErrors.Runtime("map requires a filter argument");
                }

                string name = arguments.Positional[0] as string ?? throw TemplateErrors.Type("map filter name must be a string");
                var rest = new CallArguments(arguments.Positional.Skip(1).ToArray(), arguments.Named);
                function = item => renderer.CallFilter(name, item, rest);
            }

            foreach (var item in Py.Iterate(value))
            {
                yield return function(item);
            }
        }
    }

    /// <summary>jinja2's <c>make_attrgetter</c>: a dotted path, integer parts looked up as integers, each step a sandboxed getitem.</summary>
    private static Func<object?, object?> AttributeGetter(TemplateRenderer renderer, object? attribute, object? fallback)
    {
        var parts = attribute switch
        {
            null => [],
            string path => path.Split('.').Select(p => p.Length > 0 && p.All(char.IsAsciiDigit) ? (object?)long.Parse(p, CultureInfo.InvariantCulture) : p).ToArray(),
            _ => [attribute],
        };
        return item =>
        {
            foreach (var part in parts)
            {
                item = TemplateRenderer.GetItem(item, part);
                if (fallback is not null && item is UndefinedValue)
                {
                    item = fallback;
                }
            }

            return item;
        };
    }

    private static object? IgnoreCase(object? value) => value is string s ? PyString.Lower(s) : value;

    private static object? MinOrMax(TemplateRenderer renderer, object? value, CallArguments arguments, string which)
    {
        var a = arguments.Bind($"do_{which}", 0, "case_sensitive", "attribute");
        var items = Py.Iterate(value).ToList();
        if (items.Count == 0)
        {
            return UndefinedValue.WithHint("No aggregated item, sequence was empty.");
        }

        var getter = AttributeGetter(renderer, a.Or(1, null), null);
        bool caseSensitive = Py.Truthy(a.Or(0, false));
        object? Key(object? item) => caseSensitive ? getter(item) : IgnoreCase(getter(item));
        var best = items[0];
        var bestKey = Key(best);
        foreach (var item in items.Skip(1))
        {
            var key = Key(item);
            bool better = which == "min" ? Py.Compare("<", key, bestKey) : Py.Compare(">", key, bestKey);
            if (better)
            {
                best = item;
                bestKey = key;
            }
        }

        return best;
    }

    private static object? Replace(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_replace", 2, "old", "new", "count");
        long count = a[2] is null ? -1 : Py.ToLong(a[2]);
        return PyString.Replace(renderer, PyFormat.Str(value), PyFormat.Str(a[0]), PyFormat.Str(a[1]), count);
    }

    private static object? Reverse(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        NoArguments(arguments, "reverse", null);
        switch (value)
        {
            case string s:
                return PyString.Slice(s, null, null, -1);
            case ListValue or DictValue or UndefinedValue:
                {
                    string type = value switch
                    {
                        ListValue { Kind: SequenceKind.List } => "list_reverseiterator",
                        ListValue { Kind: SequenceKind.Range } => "range_iterator",
                        DictValue or ListValue { Kind: SequenceKind.DictKeys } => "dict_reversekeyiterator",
                        ListValue { Kind: SequenceKind.DictValues } => "dict_reversevalueiterator",
                        ListValue { Kind: SequenceKind.DictItems } => "dict_reverseitemiterator",
                        _ => "reversed",
                    };
                    return new GeneratorValue(Reversed(value, "reverse"), type);
                }

            case GeneratorValue generator:
                {
                    var items = generator.Consume().ToList();
                    items.Reverse();
                    return new ListValue(items);
                }

            default:
                throw TemplateErrors.Runtime("argument must be iterable");
        }
    }

    private static object? Round(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_round", 0, "precision", "method");
        long precision = Py.ToLong(a.Or(0, 0L));
        string method = a.Or(1, "common") as string ?? "";
        if (method is not ("common" or "ceil" or "floor"))
        {
            throw TemplateErrors.Runtime("method must be common, ceil or floor");
        }

        if (!Py.IsNumber(value))
        {
            throw TemplateErrors.Type($"type {Py.TypeName(value)} doesn't define __round__ method");
        }

        if (method == "common")
        {
            return value is double d ? RoundHalfEven(d, precision) : (object)RoundInteger(Py.ToLong(value), precision);
        }

        if (value is not double && precision >= 0)
        {
            // Python: math.ceil(int * 10**p) / 10**p is exact integer arithmetic, so the integer itself.
            return Py.ToDouble(value);
        }

        // math.ceil/floor return an int, so a zero result is a positive zero.
        double scale = Math.Pow(10, precision);
        double rounded = method == "ceil" ? Math.Ceiling(Py.ToDouble(value) * scale) : Math.Floor(Py.ToDouble(value) * scale);
        if (!double.IsFinite(rounded))
        {
            throw double.IsNaN(rounded) ? TemplateErrors.Value("cannot convert float NaN to integer") : TemplateErrors.Runtime("cannot convert float infinity to integer");
        }

        return (rounded == 0 ? 0.0 : rounded) / scale;
    }

    private static long RoundInteger(long value, long precision)
    {
        if (precision >= 0)
        {
            return value;
        }

        if (precision < -18)
        {
            return 0;
        }

        long unit = (long)Math.Pow(10, -precision);
        long remainder = ((value % unit) + unit) % unit;
        long down = value - remainder;
        long twice = remainder * 2;
        return twice > unit || (twice == unit && (down / unit) % 2 != 0) ? down + unit : down;
    }

    /// <summary>
    /// Python's <c>round(x, n)</c>: correctly rounded on the exact binary value, ties to even (<c>round(2.675, 2)</c> is
    /// 2.67 because 2.675 is really 2.67499...). Uses the exact decimal expansion .NET prints.
    /// </summary>
    public static double RoundHalfEven(double value, long precision)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value == 0 || precision > 330)
        {
            return value;
        }

        if (precision < -330)
        {
            return double.CopySign(0, value);
        }

        string exact = Math.Abs(value).ToString("F" + (Math.Max(precision, 0) + 40), CultureInfo.InvariantCulture);
        int dot = exact.IndexOf('.', StringComparison.Ordinal);
        string digits = exact.Remove(dot, 1);
        long cut = dot + precision;
        if (cut < 0)
        {
            return double.CopySign(0, value);
        }

        if (cut >= digits.Length)
        {
            return value;
        }

        var kept = new StringBuilder(digits[..(int)cut]);
        string rest = digits[(int)cut..];
        bool roundUp = rest[0] > '5' || (rest[0] == '5' && (rest.AsSpan(1).IndexOfAnyExcept('0') >= 0 || (kept.Length > 0 && (kept[^1] - '0') % 2 == 1)));
        if (roundUp)
        {
            int i = kept.Length - 1;
            while (i >= 0 && kept[i] == '9')
            {
                kept[i] = '0';
                i--;
            }

            if (i >= 0)
            {
                kept[i]++;
            }
            else
            {
                kept.Insert(0, '1');
            }
        }

        // The kept digits are an integer in units of 10^-precision (a carry adds a digit, not a unit).
        string mantissa = kept.Length == 0 ? "0" : kept.ToString();
        double result = double.Parse($"{mantissa}e{-precision}", CultureInfo.InvariantCulture);
        return double.CopySign(result, value);
    }

    private static object? Select(TemplateRenderer renderer, object? value, CallArguments arguments, bool attribute, bool keep)
    {
        return new GeneratorValue(Generate());

        IEnumerable<object?> Generate()
        {
            if (!Py.Truthy(value))
            {
                yield break;
            }

            int offset = 0;
            Func<object?, object?> transform = item => item;
            if (attribute)
            {
                if (arguments.Positional.Count == 0)
                {
                    throw TemplateErrors.Runtime("Missing parameter for attribute name");
                }

                transform = AttributeGetter(renderer, arguments.Positional[0], null);
                offset = 1;
            }

            Func<object?, bool> test;
            if (arguments.Positional.Count > offset)
            {
                string name = arguments.Positional[offset] as string ?? throw TemplateErrors.Type("test name must be a string");
                var rest = new CallArguments(arguments.Positional.Skip(offset + 1).ToArray(), arguments.Named);
                test = item => renderer.CallTest(name, item, rest);
            }
            else
            {
                test = Py.Truthy;
            }

            foreach (var item in Py.Iterate(value))
            {
                if (test(transform(item)) == keep)
                {
                    yield return item;
                }
            }
        }
    }

    private static object? Sort(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_sort", 0, "reverse", "case_sensitive", "attribute");
        bool caseSensitive = Py.Truthy(a.Or(1, false));
        var attributes = a.Or(2, null) is string paths ? paths.Split(',').Select(p => (object?)p).ToArray() : [a.Or(2, null)];
        var getters = attributes.Select(p => AttributeGetter(renderer, p, null)).ToArray();
        var items = Py.Iterate(value).ToList();
        renderer.Allocate(items.Count);
        var sorted = SortStable(items, item => new ListValue(getters.Select(g => caseSensitive ? g(item) : IgnoreCase(g(item))).ToArray()), Py.Truthy(a.Or(0, false)));
        return new ListValue(sorted);
    }

    /// <summary>
    /// A stable merge sort by key with Python's <c>&lt;</c>, descending when <paramref name="reverse"/> (equal items keep
    /// their order either way, as in Python). Hand-written because .NET's sorts wrap a comparer's exception, and the
    /// TypeError for incomparable items must reach the template's caller as it is.
    /// </summary>
    private static List<object?> SortStable(List<object?> items, Func<object?, object?> key, bool reverse)
    {
        var keyed = items.Select(item => (Item: item, Key: key(item))).ToArray();
        var buffer = new (object? Item, object? Key)[keyed.Length];
        for (int width = 1; width < keyed.Length; width *= 2)
        {
            for (int left = 0; left < keyed.Length; left += 2 * width)
            {
                int middle = Math.Min(left + width, keyed.Length);
                int right = Math.Min(left + (2 * width), keyed.Length);
                int i = left;
                int j = middle;
                int k = left;
                while (i < middle && j < right)
                {
                    // Take from the right run only when it is strictly before the left one: that keeps the sort stable.
                    bool rightFirst = reverse ? Py.Order("<", keyed[i].Key, keyed[j].Key, 0) < 0 : Py.Order("<", keyed[j].Key, keyed[i].Key, 0) < 0;
                    buffer[k++] = rightFirst ? keyed[j++] : keyed[i++];
                }

                while (i < middle)
                {
                    buffer[k++] = keyed[i++];
                }

                while (j < right)
                {
                    buffer[k++] = keyed[j++];
                }
            }

            (keyed, buffer) = (buffer, keyed);
        }

        return keyed.Select(p => p.Item).ToList();
    }

    private static object? Sum(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_sum", 0, "attribute", "start");
        var getter = a.Has(0) && a[0] is not null ? AttributeGetter(renderer, a[0], null) : null;
        object? total = a.Or(1, 0L);
        if (total is string)
        {
            throw TemplateErrors.Type("sum() can't sum strings [use ''.join(seq) instead]");
        }

        foreach (var item in Py.Iterate(value))
        {
            total = Py.Binary(renderer, "+", total, getter is null ? item : getter(item));
        }

        return total;
    }

    /// <summary>jinja2's <c>title</c> filter (not <c>str.title</c>): words start after whitespace or one of <c>-({[&lt;</c>.</summary>
    private static string JinjaTitle(string s)
    {
        var builder = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (int point in PyString.CodePoints(s))
        {
            bool separator = PyString.IsSpacePoint(point) || point is '-' or '(' or '{' or '[' or '<';
            string text = PyString.FromCodePoint(point);
            if (separator)
            {
                builder.Append(text);
                wordStart = true;
            }
            else
            {
                builder.Append(wordStart ? PyString.Upper(text) : PyString.Lower(text));
                wordStart = false;
            }
        }

        return builder.ToString();
    }

    private static object? ToJson(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("tojson", 0, "ensure_ascii", "indent", "separators", "sort_keys");
        string? indent = a.Or(1, null) switch
        {
            null => null,
            string text => text,
            var number => Spaces(renderer, Py.ToLong(number)),
        };
        string itemSeparator = indent is null ? ", " : ",";
        string keySeparator = ": ";
        if (a.Or(2, null) is ListValue { Count: 2 } separators)
        {
            itemSeparator = separators.Items[0] as string ?? throw TemplateErrors.Type("separators must be strings");
            keySeparator = separators.Items[1] as string ?? throw TemplateErrors.Type("separators must be strings");
        }

        return JsonDumps.Serialize(renderer, value, Py.Truthy(a.Or(0, false)), indent, itemSeparator, keySeparator, Py.Truthy(a.Or(3, false)));
    }

    private static string Spaces(TemplateRenderer renderer, long count)
    {
        count = Math.Max(0, count);
        renderer.Allocate(count);
        return new string(' ', (int)count);
    }

    /// <summary>jinja2's <c>truncate</c>: it measures any sized value (a short list comes back as it is) and slices strings.</summary>
    private static object? Truncate(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_truncate", 0, "length", "killwords", "end", "leeway");
        long length = Py.ToLong(a.Or(0, 255L));
        string end = PyFormat.Str(a.Or(2, "..."));
        long leeway = Py.ToLong(a.Or(3, null) ?? 5L);
        if (length < PyString.Length(end))
        {
            throw TemplateErrors.Runtime($"expected length >= {PyString.Length(end)}, got {length}");
        }

        if (Py.Length(value) <= length + leeway)
        {
            return value;
        }

        if (value is not string s)
        {
            throw TemplateErrors.Type($"{PyFormat.Repr(Py.TypeName(value))} object cannot be truncated like a string");
        }

        string head = PyString.Slice(s, 0, length - PyString.Length(end), 1);
        if (Py.Truthy(a.Or(1, false)))
        {
            return head + end;
        }

        int space = head.LastIndexOf(' ');
        return (space >= 0 ? head[..space] : head) + end;
    }

    private static object? Unique(TemplateRenderer renderer, object? value, CallArguments arguments)
    {
        var a = arguments.Bind("do_unique", 0, "case_sensitive", "attribute");
        bool caseSensitive = Py.Truthy(a.Or(0, false));
        var getter = AttributeGetter(renderer, a.Or(1, null), null);
        return new GeneratorValue(Generate());

        IEnumerable<object?> Generate()
        {
            var seen = new DictValue();
            foreach (var item in Py.Iterate(value))
            {
                var key = caseSensitive ? getter(item) : IgnoreCase(getter(item));
                if (!seen.ContainsKey(key))
                {
                    seen.Set(key, null);
                    yield return item;
                }
            }
        }
    }

    /// <summary>Python's <c>len(re.findall(r"\w+", s))</c>.</summary>
    private static long WordCount(string s)
    {
        long count = 0;
        bool inWord = false;
        foreach (int point in PyString.CodePoints(s))
        {
            bool word = point == '_' || PyString.IsAlphaPoint(point) || PyString.IsNumericPoint(point);
            if (word && !inWord)
            {
                count++;
            }

            inWord = word;
        }

        return count;
    }
}
