namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Python semantics for template values: truthiness, equality, ordering, arithmetic, membership, iteration, length,
/// slicing, type names. Values are null (None), bool, long (int), double (float), string, <see cref="ListValue"/>,
/// <see cref="DictValue"/>, <see cref="UndefinedValue"/>, <see cref="NamespaceValue"/>, <see cref="GeneratorValue"/>,
/// <see cref="LoopContext"/> and <see cref="CallableValue"/>.
/// </summary>
internal static class Py
{
    public static bool IsNumber(object? value) => value is long or double or bool;

    public static long ToLong(object? value) => value switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => (long)d,
        _ => throw TemplateErrors.Type($"an integer is required, not {TypeName(value)}"),
    };

    public static double ToDouble(object? value) => value switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw TemplateErrors.Type($"must be real number, not {TypeName(value)}"),
    };

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        ListValue list => list.TypeName,
        DictValue => "dict",
        UndefinedValue => "Undefined",
        NamespaceValue => "Namespace",
        GeneratorValue generator => generator.TypeName,
        LoopContext => "LoopContext",
        MacroValue => "Macro",
        CyclerValue => "Cycler",
        JoinerValue => "Joiner",
        _ => "builtin_function_or_method",
    };

    /// <summary>jinja2's <c>object_type_repr</c>, used in undefined messages: <c>dict object</c>, <c>None</c>, <c>jinja2.utils.Namespace object</c>.</summary>
    public static string ObjectTypeRepr(object? value) => value switch
    {
        null => "None",
        NamespaceValue => "jinja2.utils.Namespace object",
        LoopContext => "jinja2.runtime.LoopContext object",
        MacroValue => "jinja2.runtime.Macro object",
        CyclerValue => "jinja2.utils.Cycler object",
        JoinerValue => "jinja2.utils.Joiner object",
        _ => $"{TypeName(value)} object",
    };

    public static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ListValue list => list.Count > 0,
        DictValue dict => dict.Count > 0,
        UndefinedValue => false,
        _ => true,
    };

    public static IEnumerable<object?> Iterate(object? value) => value switch
    {
        ListValue list => list.Items,
        DictValue dict => dict.Keys,
        string s => PyString.Characters(s),
        UndefinedValue => [],
        GeneratorValue generator => generator.Consume(),
        _ => throw TemplateErrors.Type($"{PyFormat.Repr(TypeName(value))} object is not iterable"),
    };

    public static int Length(object? value) => value switch
    {
        string s => PyString.Length(s),
        ListValue list => list.Count,
        DictValue dict => dict.Count,
        UndefinedValue => 0,
        _ => throw TemplateErrors.Type($"object of type {PyFormat.Repr(TypeName(value))} has no len()"),
    };

    public static bool Equal(object? a, object? b, int depth = 0)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (depth > PyFormat.MaxDataDepth)
        {
            throw TemplateErrors.Runtime($"data nested deeper than {PyFormat.MaxDataDepth} levels cannot be compared");
        }

        switch (a)
        {
            case null:
                return false;
            case bool or long or double when IsNumber(b):
                return NumbersEqual(a, b!);
            case string s:
                return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case ListValue x when b is ListValue y:
                if (SameSequenceFamily(x, y) && x.Count == y.Count)
                {
                    for (int i = 0; i < x.Count; i++)
                    {
                        if (!Equal(x.Items[i], y.Items[i], depth + 1))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                return false;
            case DictValue x when b is DictValue y:
                if (x.Count != y.Count)
                {
                    return false;
                }

                foreach (var (key, item) in x.Items)
                {
                    if (!y.TryGet(key, out var other) || !Equal(item, other, depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            case UndefinedValue:
                return b is UndefinedValue;
            default:
                return false;
        }
    }

    private static bool SameSequenceFamily(ListValue x, ListValue y) =>
        x.Kind == y.Kind || (x.Kind is SequenceKind.DictKeys or SequenceKind.DictItems && y.Kind == x.Kind);

    private static bool NumbersEqual(object a, object b)
    {
        if (a is double || b is double)
        {
            double x = ToDouble(a);
            double y = ToDouble(b);
            if (a is long la && b is double)
            {
                return ExactlyEqual(la, y);
            }

            if (b is long lb && a is double)
            {
                return ExactlyEqual(lb, x);
            }

            return x == y;
        }

        return ToLong(a) == ToLong(b);
    }

    /// <summary>Python compares int and float exactly (2**53 + 1 != float(2**53)).</summary>
    private static bool ExactlyEqual(long integer, double floating) =>
        floating == Math.Floor(floating) && floating >= -9.2233720368547758E18 && floating < 9.2233720368547758E18 && (long)floating == integer;

    /// <summary>Python's <c>&lt; &lt;= &gt; &gt;=</c>; undefined operands raise, mismatched types are a TypeError.</summary>
    public static bool Compare(string op, object? a, object? b)
    {
        if (a is UndefinedValue ua)
        {
            throw ua.Fail();
        }

        if (b is UndefinedValue ub)
        {
            throw ub.Fail();
        }

        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double)
            {
                double x = ToDouble(a);
                double y = ToDouble(b);
                return op switch { "<" => x < y, "<=" => x <= y, ">" => x > y, _ => x >= y };
            }

            long p = ToLong(a);
            long q = ToLong(b);
            return op switch { "<" => p < q, "<=" => p <= q, ">" => p > q, _ => p >= q };
        }

        int order = Order(op, a, b, 0);
        return op switch { "<" => order < 0, "<=" => order <= 0, ">" => order > 0, _ => order >= 0 };
    }

    /// <summary>A three-way comparison for sorting (min, max, sort); throws the TypeError Python's <c>&lt;</c> would.</summary>
    public static int Order(string op, object? a, object? b, int depth)
    {
        if (depth > PyFormat.MaxDataDepth)
        {
            throw TemplateErrors.Runtime($"data nested deeper than {PyFormat.MaxDataDepth} levels cannot be compared");
        }

        switch (a)
        {
            case UndefinedValue ua:
                throw ua.Fail();
            case bool or long or double when IsNumber(b):
                if (a is double || b is double)
                {
                    double x = ToDouble(a);
                    double y = ToDouble(b!);
                    return x < y ? -1 : x > y ? 1 : 0;
                }

                return ToLong(a).CompareTo(ToLong(b));
            case string s when b is string t:
                return PyString.Compare(s, t);
            case ListValue x when b is ListValue y && x.Kind == y.Kind && x.Kind is SequenceKind.List or SequenceKind.Tuple:
                for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
                {
                    if (!Equal(x.Items[i], y.Items[i], depth + 1))
                    {
                        return Order(op, x.Items[i], y.Items[i], depth + 1);
                    }
                }

                return x.Count.CompareTo(y.Count);
        }

        if (b is UndefinedValue ub)
        {
            throw ub.Fail();
        }

        throw TemplateErrors.Type($"'{op}' not supported between instances of {PyFormat.Repr(TypeName(a))} and {PyFormat.Repr(TypeName(b))}");
    }

    /// <summary>Python's <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                return item is string sub
                    ? s.Contains(sub, StringComparison.Ordinal)
                    : throw TemplateErrors.Type($"'in <string>' requires string as left operand, not {TypeName(item)}");
            case DictValue dict:
                return dict.ContainsKey(item);
            case ListValue or GeneratorValue or UndefinedValue:
                foreach (var element in Iterate(container))
                {
                    if (Equal(element, item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                throw TemplateErrors.Type($"argument of type {PyFormat.Repr(TypeName(container))} is not iterable");
        }
    }

    /// <summary>Python's <c>slice.indices(length)</c> plus the number of selected items.</summary>
    public static (long Start, long Stop, long Step, long Count) SliceIndices(long length, long? start, long? stop, long? step)
    {
        long by = step is long.MinValue ? -long.MaxValue : step ?? 1;
        if (by == 0)
        {
            throw TemplateErrors.Value("slice step cannot be zero");
        }

        long Clamp(long? index, long whenMissing)
        {
            if (index is not long value)
            {
                return whenMissing;
            }

            if (value < 0)
            {
                value += length;
                if (value < 0)
                {
                    value = by < 0 ? -1 : 0;
                }
            }
            else if (value >= length)
            {
                value = by < 0 ? length - 1 : length;
            }

            return value;
        }

        long first = Clamp(start, by < 0 ? length - 1 : 0);
        long last = Clamp(stop, by < 0 ? -1 : length);
        long count = by > 0
            ? (last > first ? ((last - first - 1) / by) + 1 : 0)
            : (first > last ? ((first - last - 1) / -by) + 1 : 0);
        return (first, last, by, count);
    }

    public static object? Neg(object? value) => value switch
    {
        bool b => b ? -1L : 0L,
        long l => l == long.MinValue ? throw Overflow() : (object)-l,
        double d => (object)-d,
        UndefinedValue u => throw u.Fail(),
        _ => throw TemplateErrors.Type($"bad operand type for unary -: {PyFormat.Repr(TypeName(value))}"),
    };

    public static object? Pos(object? value) => value switch
    {
        bool b => (object)(b ? 1L : 0L),
        long or double => value,
        UndefinedValue u => throw u.Fail(),
        _ => throw TemplateErrors.Type($"bad operand type for unary +: {PyFormat.Repr(TypeName(value))}"),
    };

    public static ChatTemplateException Overflow() =>
        TemplateErrors.Runtime("integer overflow: this renderer's integers are 64-bit (Python's are unbounded)");

    /// <summary><c>+ - * / // % **</c> with Python's rules (floor division and modulo follow the divisor's sign).</summary>
    public static object? Binary(TemplateRenderer renderer, string op, object? a, object? b)
    {
        if (op == "%" && a is string printf)
        {
            // str.__mod__ accepts anything, an undefined value included (it prints as empty).
            return PyFormat.Printf(renderer, printf, b);
        }

        if (a is UndefinedValue ua)
        {
            throw ua.Fail();
        }

        if (b is UndefinedValue ub)
        {
            throw ub.Fail();
        }

        bool numbers = IsNumber(a) && IsNumber(b);
        bool floating = numbers && (a is double || b is double);
        try
        {
            switch (op)
            {
                case "+":
                    if (numbers)
                    {
                        return floating ? ToDouble(a) + ToDouble(b) : (object)checked(ToLong(a) + ToLong(b));
                    }

                    return Add(renderer, a, b);
                case "-":
                    if (numbers)
                    {
                        return floating ? ToDouble(a) - ToDouble(b) : (object)checked(ToLong(a) - ToLong(b));
                    }

                    break;
                case "*":
                    if (numbers)
                    {
                        return floating ? ToDouble(a) * ToDouble(b) : (object)checked(ToLong(a) * ToLong(b));
                    }

                    return Repeat(renderer, a, b);
                case "/":
                    if (numbers)
                    {
                        double divisor = ToDouble(b);
                        if (divisor == 0)
                        {
                            throw TemplateErrors.ZeroDivision(floating ? "float division by zero" : "division by zero");
                        }

                        return ToDouble(a) / divisor;
                    }

                    break;
                case "//":
                    if (numbers)
                    {
                        if (floating)
                        {
                            double divisor = ToDouble(b);
                            if (divisor == 0)
                            {
                                throw TemplateErrors.ZeroDivision("float floor division by zero");
                            }

                            return FloatFloorDivide(ToDouble(a), divisor);
                        }

                        long q = ToLong(b);
                        if (q == 0)
                        {
                            throw TemplateErrors.ZeroDivision("integer division or modulo by zero");
                        }

                        long p = ToLong(a);
                        long quotient = checked(p / q);
                        return (p % q != 0) && ((p < 0) != (q < 0)) ? quotient - 1 : quotient;
                    }

                    break;
                case "%":
                    if (a is string format)
                    {
                        return PyFormat.Printf(renderer, format, b);
                    }

                    if (numbers)
                    {
                        if (floating)
                        {
                            double divisor = ToDouble(b);
                            return divisor == 0 ? throw TemplateErrors.ZeroDivision("float modulo") : FloatMod(ToDouble(a), divisor);
                        }

                        long q = ToLong(b);
                        if (q == 0)
                        {
                            throw TemplateErrors.ZeroDivision("integer modulo by zero");
                        }

                        long r = ToLong(a) % q;
                        return r != 0 && ((r < 0) != (q < 0)) ? r + q : r;
                    }

                    break;
                case "**":
                    if (numbers)
                    {
                        return Power(a!, b!, floating);
                    }

                    break;
            }
        }
        catch (OverflowException)
        {
            throw Overflow();
        }

        throw TemplateErrors.Type($"unsupported operand type(s) for {(op == "**" ? "** or pow()" : op)}: {PyFormat.Repr(TypeName(a))} and {PyFormat.Repr(TypeName(b))}");
    }

    /// <summary>CPython's float floor division (float_divmod): the sign of a zero result follows the true quotient.</summary>
    private static double FloatFloorDivide(double x, double y)
    {
        double mod = x % y;
        double div = (x - mod) / y;
        if (mod != 0 && ((y < 0) != (mod < 0)))
        {
            div -= 1.0;
        }

        if (div == 0)
        {
            return double.CopySign(0.0, x / y);
        }

        double floor = Math.Floor(div);
        return div - floor > 0.5 ? floor + 1.0 : floor;
    }

    private static double FloatMod(double x, double y)
    {
        double mod = x % y;
        if (mod != 0)
        {
            if ((y < 0) != (mod < 0))
            {
                mod += y;
            }
        }
        else
        {
            mod = double.CopySign(0, y);
        }

        return mod;
    }

    private static object Power(object a, object b, bool floating)
    {
        if (!floating && ToLong(b) >= 0)
        {
            long exponent = ToLong(b);
            long baseValue = ToLong(a);
            long result = 1;
            while (exponent > 0)
            {
                if ((exponent & 1) == 1)
                {
                    result = checked(result * baseValue);
                }

                exponent >>= 1;
                if (exponent > 0)
                {
                    baseValue = checked(baseValue * baseValue);
                }
            }

            return result;
        }

        double x = ToDouble(a);
        double y = ToDouble(b);
        if (x == 0 && y < 0)
        {
            throw TemplateErrors.ZeroDivision("0.0 cannot be raised to a negative power");
        }

        if (x < 0 && y != Math.Floor(y))
        {
            throw TemplateErrors.Value("a negative number raised to a fractional power is complex, which this renderer does not support");
        }

        double power = Math.Pow(x, y);
        if (double.IsInfinity(power) && double.IsFinite(x) && double.IsFinite(y))
        {
            throw TemplateErrors.Runtime("(34, 'Numerical result out of range')");
        }

        return power;
    }

#pragma warning disable CA1859 // returns a string or a list
    private static object Add(TemplateRenderer renderer, object? a, object? b)
    {
        switch (a)
        {
            case string s when b is string t:
                renderer.Allocate((long)s.Length + t.Length);
                return s + t;
            case string:
                throw TemplateErrors.Type($"can only concatenate str (not \"{TypeName(b)}\") to str");
            case ListValue { Kind: SequenceKind.List or SequenceKind.Tuple } x when b is ListValue y && y.Kind == x.Kind:
                renderer.Allocate((long)x.Count + y.Count);
                return new ListValue([.. x.Items, .. y.Items], x.Kind);
            case ListValue { Kind: SequenceKind.List or SequenceKind.Tuple } x:
                throw TemplateErrors.Type($"can only concatenate {x.TypeName} (not \"{TypeName(b)}\") to {x.TypeName}");
            default:
                throw TemplateErrors.Type($"unsupported operand type(s) for +: {PyFormat.Repr(TypeName(a))} and {PyFormat.Repr(TypeName(b))}");
        }
    }

#pragma warning restore CA1859

    private static long SaturatingMultiply(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    private static object Repeat(TemplateRenderer renderer, object? a, object? b)
    {
        var (sequence, count) = a is long or bool ? (b, a) : (a, b);
        if (sequence is string or ListValue { Kind: SequenceKind.List or SequenceKind.Tuple } && count is not (long or bool))
        {
            throw TemplateErrors.Type($"can't multiply sequence by non-int of type {PyFormat.Repr(TypeName(count))}");
        }

        long times = count is long or bool ? Math.Max(0, ToLong(count)) : 0;
        switch (sequence)
        {
            case string s:
                renderer.Allocate(SaturatingMultiply(s.Length, times));
                return times == 0 || s.Length == 0 ? "" : string.Concat(Enumerable.Repeat(s, (int)times));
            case ListValue { Kind: SequenceKind.List or SequenceKind.Tuple } list:
                renderer.Allocate(SaturatingMultiply(list.Count, times));
                var items = new List<object?>();
                for (long i = 0; i < times; i++)
                {
                    items.AddRange(list.Items);
                }

                return new ListValue(items, list.Kind);
            default:
                throw TemplateErrors.Type($"unsupported operand type(s) for *: {PyFormat.Repr(TypeName(a))} and {PyFormat.Repr(TypeName(b))}");
        }
    }
}
