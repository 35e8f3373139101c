using System.Globalization;
using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Python's <c>str()</c> and <c>repr()</c> of template values (what <c>{{ x }}</c> prints: <c>True</c>, <c>None</c>,
/// <c>1.0</c>, <c>1e-05</c>, <c>['a', 1]</c>, <c>{'k': (1,)}</c>), plus printf-style <c>%</c> formatting and
/// <c>str.format</c>.
/// </summary>
internal static class PyFormat
{
    /// <summary>How deeply nested data may be printed, compared or serialised before it is refused.</summary>
    public const int MaxDataDepth = 200;

    /// <summary>The most digits a float format may ask for.</summary>
    public const int MaxPrecision = 1000;

    public static string Str(object? value) => value switch
    {
        string s => s,
        UndefinedValue => "",
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        null => "None",
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        var builder = new StringBuilder();
        AppendRepr(builder, value, 0);
        return builder.ToString();
    }

    public static void AppendRepr(StringBuilder builder, object? value, int depth)
    {
        if (depth > MaxDataDepth)
        {
            throw TemplateErrors.Runtime($"data nested deeper than {MaxDataDepth} levels cannot be printed");
        }

        switch (value)
        {
            case null:
                builder.Append("None");
                break;
            case bool b:
                builder.Append(b ? "True" : "False");
                break;
            case long l:
                builder.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                builder.Append(Float(d));
                break;
            case string s:
                AppendStringRepr(builder, s);
                break;
            case ListValue list:
                AppendSequence(builder, list, depth);
                break;
            case DictValue dict:
                AppendDict(builder, dict.Items, depth);
                break;
            case NamespaceValue ns:
                builder.Append("<Namespace ");
                AppendDict(builder, ns.Attributes.Select(a => new KeyValuePair<object?, object?>(a.Key, a.Value)), depth);
                builder.Append('>');
                break;
            case UndefinedValue:
                builder.Append("Undefined");
                break;
            case GeneratorValue generator:
                builder.Append('<').Append(generator.TypeName).Append(" object>");
                break;
            case CyclerValue:
                builder.Append("<jinja2.utils.Cycler object>");
                break;
            case CallableValue callable:
                builder.Append(callable.Repr);
                break;
            default:
                builder.Append(value);
                break;
        }
    }

    private static void AppendSequence(StringBuilder builder, ListValue list, int depth)
    {
        if (list.Kind == SequenceKind.Range)
        {
            builder.Append(list.RangeRepr);
            return;
        }

        string open = list.Kind switch
        {
            SequenceKind.Tuple => "(",
            SequenceKind.DictKeys => "dict_keys([",
            SequenceKind.DictValues => "dict_values([",
            SequenceKind.DictItems => "dict_items([",
            _ => "[",
        };
        builder.Append(open);
        for (int i = 0; i < list.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            AppendRepr(builder, list.Items[i], depth + 1);
        }

        builder.Append(list.Kind switch
        {
            SequenceKind.Tuple => list.Count == 1 ? ",)" : ")",
            SequenceKind.List => "]",
            _ => "])",
        });
    }

    private static void AppendDict(StringBuilder builder, IEnumerable<KeyValuePair<object?, object?>> items, int depth)
    {
        builder.Append('{');
        bool first = true;
        foreach (var (key, item) in items)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            AppendRepr(builder, key, depth + 1);
            builder.Append(": ");
            AppendRepr(builder, item, depth + 1);
        }

        builder.Append('}');
    }

    /// <summary>Python's <c>repr(str)</c>: single quotes unless the text has one and no double quote; non-printable characters escaped.</summary>
    public static void AppendStringRepr(StringBuilder builder, string s)
    {
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        builder.Append(quote);
        foreach (int point in PyString.CodePoints(s))
        {
            switch (point)
            {
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (point == quote)
                    {
                        builder.Append('\\').Append(quote);
                    }
                    else if (point < 0x20 || point == 0x7F)
                    {
                        builder.Append("\\x").Append(point.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (point < 0x7F || IsPrintable(point))
                    {
                        PyString.Append(builder, point);
                    }
                    else if (point <= 0xFF)
                    {
                        builder.Append("\\x").Append(point.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (point <= 0xFFFF)
                    {
                        builder.Append("\\u").Append(point.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append("\\U").Append(point.ToString("x8", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        builder.Append(quote);
    }

    /// <summary>Python's <c>str.isprintable()</c> for one code point: not a control, format, surrogate, private-use, unassigned or separator (other than space).</summary>
    public static bool IsPrintable(int point)
    {
        if (point == ' ')
        {
            return true;
        }

        if (point is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }

        return CharUnicodeInfo.GetUnicodeCategory(point) is not (UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary>
    /// Python's <c>repr(float)</c>: the shortest digits that round-trip, positional for decimal exponents in [-4, 16),
    /// otherwise scientific with a signed two-digit-minimum exponent; always with <c>.0</c> when integral.
    /// </summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        var (negative, digits, point) = ShortestDigits(value);
        var builder = new StringBuilder();
        if (negative)
        {
            builder.Append('-');
        }

        // value = 0.DIGITS * 10^point
        if (point is > -4 and <= 16)
        {
            if (point <= 0)
            {
                builder.Append("0.").Append('0', -point).Append(digits);
            }
            else if (point >= digits.Length)
            {
                builder.Append(digits).Append('0', point - digits.Length).Append(".0");
            }
            else
            {
                builder.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
            }
        }
        else
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits, 1, digits.Length - 1);
            }

            int exponent = point - 1;
            builder.Append(exponent < 0 ? "e-" : "e+").Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>The shortest round-trip digits of a finite non-zero double and the decimal point position (value = 0.D × 10^point).</summary>
    public static (bool Negative, string Digits, int Point) ShortestDigits(double value)
    {
        string r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string integer = dot < 0 ? r : r[..dot];
        string fraction = dot < 0 ? "" : r[(dot + 1)..];
        string all = integer + fraction;
        int point = integer.Length + exponent;
        int leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0')
        {
            leading++;
        }

        string digits = all[leading..].TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        return (value < 0, digits, point - leading);
    }

    /// <summary><c>format % args</c> (printf-style): <c>%s %r %d %i %f %e %g %x %o %c %%</c> with flags, width, precision and <c>%(name)s</c>.</summary>
    public static string Printf(TemplateRenderer renderer, string format, object? arguments)
    {
        IReadOnlyList<object?> positional = arguments is ListValue { Kind: SequenceKind.Tuple } tuple ? tuple.Items : [arguments];
        var mapping = arguments as DictValue;
        int next = 0;
        bool usedMapping = false;
        var builder = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%')
            {
                builder.Append(c);
                continue;
            }

            if (++i >= format.Length)
            {
                throw TemplateErrors.Value("incomplete format");
            }

            object? argument = null;
            bool haveArgument = false;
            if (format[i] == '(')
            {
                int close = format.IndexOf(')', i);
                if (close < 0 || mapping is null)
                {
                    throw TemplateErrors.Type(mapping is null ? "format requires a mapping" : "incomplete format key");
                }

                string key = format[(i + 1)..close];
                if (!mapping.TryGet(key, out argument))
                {
                    throw TemplateErrors.Key(Repr(key));
                }

                haveArgument = true;
                usedMapping = true;
                i = close + 1;
            }

            string flags = "";
            while (i < format.Length && format[i] is '-' or '+' or ' ' or '#' or '0')
            {
                flags += format[i++];
            }

            int? width = null;
            if (i < format.Length && format[i] == '*')
            {
                width = (int)Math.Clamp(Py.ToLong(NextArgument()), int.MinValue, int.MaxValue);
                i++;
            }
            else
            {
                width = ReadNumber(format, ref i);
            }

            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                if (i < format.Length && format[i] == '*')
                {
                    precision = (int)Math.Clamp(Py.ToLong(NextArgument()), 0, int.MaxValue);
                    i++;
                }
                else
                {
                    precision = ReadNumber(format, ref i) ?? 0;
                }
            }

            while (i < format.Length && format[i] is 'h' or 'l' or 'L')
            {
                i++;
            }

            if (i >= format.Length)
            {
                throw TemplateErrors.Value("incomplete format");
            }

            char conversion = format[i];
            if (conversion == '%')
            {
                builder.Append('%');
                continue;
            }

            if (!haveArgument)
            {
                argument = NextArgument();
            }

            string text = conversion switch
            {
                's' => Str(argument),
                'r' or 'a' => Repr(argument),
                'd' or 'i' or 'u' => FormatInteger(RequireNumber(argument, conversion, integral: true), 10, false, flags.Contains('+', StringComparison.Ordinal), flags.Contains(' ', StringComparison.Ordinal), false),
                'x' or 'X' or 'o' => FormatInteger(RequireNumber(argument, conversion, integral: true), conversion == 'o' ? 8 : 16, conversion == 'X', flags.Contains('+', StringComparison.Ordinal), flags.Contains(' ', StringComparison.Ordinal), flags.Contains('#', StringComparison.Ordinal)),
                'f' or 'F' or 'e' or 'E' or 'g' or 'G' => FormatFloat(Py.ToDouble(RequireNumber(argument, conversion, integral: false)), conversion, precision ?? 6, flags.Contains('+', StringComparison.Ordinal) ? "+" : flags.Contains(' ', StringComparison.Ordinal) ? " " : "", flags.Contains('#', StringComparison.Ordinal)),
                'c' => argument is string ch && PyString.Length(ch) == 1 ? ch : Character(Py.ToLong(RequireNumber(argument, conversion, integral: true))),
                _ => throw TemplateErrors.Value($"unsupported format character {Repr(conversion.ToString())} (0x{(int)conversion:x}) at index {i}"),
            };
            if (conversion is 's' or 'r' or 'a' && precision is int cut && PyString.Length(text) > cut)
            {
                text = PyString.Slice(text, 0, cut, 1);
            }

            renderer.Allocate(Math.Max(text.Length, width ?? 0));
            builder.Append(Pad(text, width ?? 0, flags.Contains('-', StringComparison.Ordinal) ? '<' : '>', flags.Contains('0', StringComparison.Ordinal) && conversion is not ('s' or 'r' or 'a' or 'c') && !flags.Contains('-', StringComparison.Ordinal) ? '0' : ' '));
            TemplateRenderer.CheckLength(builder.Length);
        }

        // Python treats any non-tuple argument with item access (a dict, but also a list) as a mapping here, and a
        // mapping argument never has arguments "left over".
        bool mappingLike = arguments is DictValue or UndefinedValue || arguments is ListValue { Kind: SequenceKind.List or SequenceKind.Range };
        if (!usedMapping && !mappingLike && next < positional.Count)
        {
            throw TemplateErrors.Type("not all arguments converted during string formatting");
        }

        return builder.ToString();

        object? NextArgument()
        {
            if (next >= positional.Count)
            {
                throw TemplateErrors.Type("not enough arguments for format string");
            }

            return positional[next++];
        }
    }

    private static int? ReadNumber(string format, ref int i)
    {
        int start = i;
        while (i < format.Length && char.IsAsciiDigit(format[i]))
        {
            i++;
        }

        if (i == start)
        {
            return null;
        }

        // Saturate: a width or precision this large is refused by the size checks, not by an overflow.
        return long.TryParse(format.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= int.MaxValue
            ? (int)value
            : int.MaxValue;
    }

    private static string Character(long point) => point is >= 0 and <= 0x10FFFF
        ? PyString.FromCodePoint((int)point)
        : throw TemplateErrors.Value("%c arg not in range(0x110000)");

    private static object RequireNumber(object? value, char conversion, bool integral)
    {
        switch (value)
        {
            case bool or long:
                return value;
            case double d when conversion is 'd' or 'i' or 'u':
                if (!double.IsFinite(d))
                {
                    throw d is double.NaN ? TemplateErrors.Value("cannot convert float NaN to integer") : TemplateErrors.Runtime("cannot convert float infinity to integer");
                }

                double whole = Math.Truncate(d);
                return whole is >= -9.2233720368547758E18 and < 9.2233720368547758E18 ? (long)whole : new System.Numerics.BigInteger(whole);
            case double d when !integral:
                return d;
        }

        throw TemplateErrors.Type(conversion is 'x' or 'X' or 'o' or 'c'
            ? $"%{conversion} format: an integer is required, not {Py.TypeName(value)}"
            : $"%{conversion} format: a real number is required, not {Py.TypeName(value)}");
    }

    private static string FormatInteger(object value, int radix, bool upper, bool plus, bool space, bool alternate)
    {
        if (value is System.Numerics.BigInteger big)
        {
            // %d of a float beyond 64 bits: Python prints the exact integer.
            return (big.Sign < 0 ? "-" : plus ? "+" : space ? " " : "") + System.Numerics.BigInteger.Abs(big).ToString(CultureInfo.InvariantCulture);
        }

        long number = Py.ToLong(value);
        string digits = radix == 10
            ? Math.Abs((decimal)number).ToString(CultureInfo.InvariantCulture)
            : Convert.ToString(Math.Abs(number), radix);
        if (upper)
        {
            digits = digits.ToUpperInvariant();
        }

        string prefix = alternate ? (radix == 16 ? (upper ? "0X" : "0x") : radix == 8 ? "0o" : "") : "";
        string sign = number < 0 ? "-" : plus ? "+" : space ? " " : "";
        return sign + prefix + digits;
    }

    /// <summary>Python's float formatting for the f, e and g presentation types.</summary>
    public static string FormatFloat(double value, char type, int precision, string positiveSign = "", bool alternate = false)
    {
        if (precision > MaxPrecision)
        {
            throw TemplateErrors.Value($"precision too big (this renderer allows up to {MaxPrecision} digits)");
        }

        bool upper = char.IsUpper(type);
        string sign = double.IsNegative(value) && !double.IsNaN(value) ? "-" : positiveSign;
        double magnitude = Math.Abs(value);
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            string special = double.IsNaN(value) ? "nan" : "inf";
            return sign + (upper ? special.ToUpperInvariant() : special);
        }

        string body;
        switch (char.ToLowerInvariant(type))
        {
            case 'f':
                body = magnitude.ToString("F" + precision, CultureInfo.InvariantCulture);
                if (alternate && precision == 0)
                {
                    body += ".";
                }

                break;
            case 'e':
                body = Scientific(magnitude, precision, alternate);
                break;
            default:
                {
                    int p = precision == 0 ? 1 : precision;
                    if (magnitude == 0)
                    {
                        body = alternate ? "0." + new string('0', p - 1) : "0";
                        break;
                    }

                    string probe = Scientific(magnitude, p - 1, false);
                    int exponent = int.Parse(probe.AsSpan(probe.IndexOf('e', StringComparison.Ordinal) + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                    body = exponent >= -4 && exponent < p
                        ? magnitude.ToString("F" + (p - 1 - exponent), CultureInfo.InvariantCulture)
                        : Scientific(magnitude, p - 1, alternate);
                    if (!alternate)
                    {
                        body = StripFractionZeros(body);
                    }

                    break;
                }
        }

        if (upper)
        {
            body = body.ToUpperInvariant();
        }

        return sign + body;
    }

    /// <summary>d.ddde+XX with Python's two-digit-minimum exponent (.NET's "E" format is exact but always writes three digits).</summary>
    private static string Scientific(double magnitude, int precision, bool alternate)
    {
        string text = magnitude.ToString("E" + precision, CultureInfo.InvariantCulture);
        int e = text.IndexOf('E', StringComparison.Ordinal);
        string mantissa = text[..e];
        int exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (alternate && precision == 0)
        {
            mantissa += ".";
        }

        return mantissa + (exponent < 0 ? "e-" : "e+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }

    private static string StripFractionZeros(string text)
    {
        int e = text.IndexOf('e', StringComparison.Ordinal);
        string mantissa = e < 0 ? text : text[..e];
        string exponent = e < 0 ? "" : text[e..];
        if (mantissa.Contains('.', StringComparison.Ordinal))
        {
            mantissa = mantissa.TrimEnd('0').TrimEnd('.');
        }

        return mantissa + exponent;
    }

    /// <summary>Pads to <paramref name="width"/> code points; '=' puts zero padding after a sign or base prefix.</summary>
    public static string Pad(string text, int width, char align, char fill)
    {
        TemplateRenderer.CheckLength(width);
        int length = PyString.Length(text);
        if (length >= width)
        {
            return text;
        }

        int padding = width - length;
        if (fill == '0' && align == '>')
        {
            align = '=';
        }

        switch (align)
        {
            case '<':
                return text + new string(fill, padding);
            case '^':
                return new string(fill, padding / 2) + text + new string(fill, padding - (padding / 2));
            case '=':
                {
                    int prefix = 0;
                    if (prefix < text.Length && text[prefix] is '-' or '+' or ' ')
                    {
                        prefix++;
                    }

                    if (prefix + 1 < text.Length && text[prefix] == '0' && text[prefix + 1] is 'x' or 'X' or 'o' or 'b')
                    {
                        prefix += 2;
                    }

                    return text[..prefix] + new string(fill, padding) + text[prefix..];
                }

            default:
                return new string(fill, padding) + text;
        }
    }

    /// <summary>
    /// <c>str.format(*args, **kwargs)</c> as jinja2's sandbox runs it: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, attribute and
    /// index lookups through the sandbox (<c>{0.role}</c>, <c>{0[1]}</c>), <c>!r</c>/<c>!s</c>, and format specs
    /// <c>[[fill]align][sign][#][0][width][,][.precision][type]</c>.
    /// </summary>
    public static string Format(TemplateRenderer renderer, string format, CallArguments arguments)
    {
        var builder = new StringBuilder();
        int automatic = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '}' )
            {
                if (i + 1 < format.Length && format[i + 1] == '}')
                {
                    builder.Append('}');
                    i++;
                    continue;
                }

                throw TemplateErrors.Value("Single '}' encountered in format string");
            }

            if (c != '{')
            {
                builder.Append(c);
                continue;
            }

            if (i + 1 < format.Length && format[i + 1] == '{')
            {
                builder.Append('{');
                i++;
                continue;
            }

            int depth = 1;
            int j = i + 1;
            while (j < format.Length && depth > 0)
            {
                depth += format[j] == '{' ? 1 : format[j] == '}' ? -1 : 0;
                j++;
            }

            if (depth > 0)
            {
                throw TemplateErrors.Value("expected '}' before end of string");
            }

            string field = format[(i + 1)..(j - 1)];
            i = j - 1;
            string spec = "";
            char conversion = '\0';
            int colon = field.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                spec = Format(renderer, field[(colon + 1)..], arguments);
                field = field[..colon];
            }

            int bang = field.IndexOf('!', StringComparison.Ordinal);
            if (bang >= 0)
            {
                conversion = bang + 1 < field.Length ? field[bang + 1] : '\0';
                field = field[..bang];
            }

            int end = field.IndexOfAny(['.', '[']);
            string head = end < 0 ? field : field[..end];
            object? value;
            if (head.Length == 0)
            {
                value = Positional(automatic++);
            }
            else if (head.All(char.IsAsciiDigit))
            {
                value = Positional(int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index : int.MaxValue);
            }
            else
            {
                var match = arguments.Named.FirstOrDefault(n => n.Key == head);
                if (match.Key is null)
                {
                    throw TemplateErrors.Key(Repr(head));
                }

                value = match.Value;
            }

            for (int k = end; k >= 0 && k < field.Length;)
            {
                if (field[k] == '.')
                {
                    int stop = field.IndexOfAny(['.', '['], k + 1);
                    string name = stop < 0 ? field[(k + 1)..] : field[(k + 1)..stop];
                    value = TemplateRenderer.GetAttribute(value, name);
                    k = stop;
                }
                else
                {
                    int close = field.IndexOf(']', k);
                    string key = field[(k + 1)..close];
                    value = TemplateRenderer.GetItem(value, key.Length > 0 && key.All(char.IsAsciiDigit) ? long.Parse(key, CultureInfo.InvariantCulture) : key);
                    k = close + 1 < field.Length ? close + 1 : -1;
                }
            }

            if (conversion is 'r' or 'a')
            {
                value = Repr(value);
            }
            else if (conversion == 's')
            {
                value = Str(value);
            }

            string text = FormatValue(value, spec);
            renderer.Allocate(text.Length);
            builder.Append(text);
            TemplateRenderer.CheckLength(builder.Length);
        }

        return builder.ToString();

        object? Positional(int index) => index < arguments.Positional.Count
            ? arguments.Positional[index]
            : throw TemplateErrors.Index($"Replacement index {index} out of range for positional args tuple");
    }

    /// <summary>Python's <c>format(value, spec)</c> for strings, integers and floats.</summary>
    public static string FormatValue(object? value, string spec)
    {
        if (spec.Length == 0)
        {
            return Str(value);
        }

        int i = 0;
        char fill = ' ';
        char align = '\0';
        if (spec.Length >= 2 && spec[1] is '<' or '>' or '^' or '=')
        {
            fill = spec[0];
            align = spec[1];
            i = 2;
        }
        else if (spec[0] is '<' or '>' or '^' or '=')
        {
            align = spec[0];
            i = 1;
        }

        string sign = "";
        if (i < spec.Length && spec[i] is '+' or '-' or ' ')
        {
            sign = spec[i] == '-' ? "" : spec[i].ToString();
            i++;
        }

        bool alternate = false;
        if (i < spec.Length && spec[i] == '#')
        {
            alternate = true;
            i++;
        }

        if (i < spec.Length && spec[i] == '0')
        {
            if (align == '\0')
            {
                fill = '0';
                align = '=';
            }

            i++;
        }

        int width = ReadNumber(spec, ref i) ?? 0;
        bool grouping = false;
        if (i < spec.Length && spec[i] is ',' or '_')
        {
            grouping = true;
            i++;
        }

        int? precision = null;
        if (i < spec.Length && spec[i] == '.')
        {
            i++;
            precision = ReadNumber(spec, ref i) ?? throw TemplateErrors.Value("Format specifier missing precision");
        }

        char type = i < spec.Length ? spec[i++] : '\0';
        if (i != spec.Length)
        {
            throw TemplateErrors.Value("Invalid format specifier");
        }

        string text;
        switch (value)
        {
            case string s when type is '\0' or 's':
                text = precision is int cut && PyString.Length(s) > cut ? PyString.Slice(s, 0, cut, 1) : s;
                align = align == '\0' ? '<' : align;
                break;
            case bool or long when type is '\0' or 'd' or 'n' or 'x' or 'X' or 'o' or 'b' or 'c':
                {
                    if (precision is not null)
                    {
                        throw TemplateErrors.Value("Precision not allowed in integer format specifier");
                    }

                    long number = Py.ToLong(value);
                    if (type == 'c')
                    {
                        text = Character(number);
                        break;
                    }

                    int radix = type switch { 'x' or 'X' => 16, 'o' => 8, 'b' => 2, _ => 10 };
                    string digits = radix == 10 ? Math.Abs((decimal)number).ToString(CultureInfo.InvariantCulture) : Convert.ToString(Math.Abs(number), radix);
                    if (grouping && radix == 10)
                    {
                        digits = Math.Abs((decimal)number).ToString("#,0", CultureInfo.InvariantCulture);
                    }

                    if (type == 'X')
                    {
                        digits = digits.ToUpperInvariant();
                    }

                    string prefix = alternate ? type switch { 'x' => "0x", 'X' => "0X", 'o' => "0o", 'b' => "0b", _ => "" } : "";
                    text = (number < 0 ? "-" : sign) + prefix + digits;
                    align = align == '\0' ? '>' : align;
                    break;
                }

            case bool or long or double when type is '\0' or 'f' or 'F' or 'e' or 'E' or 'g' or 'G' or '%':
                {
                    double number = Py.ToDouble(value);
                    if (type == '%')
                    {
                        text = FormatFloat(number * 100, 'f', precision ?? 6, sign, alternate) + "%";
                    }
                    else if (type == '\0' && precision is null)
                    {
                        text = (number >= 0 || double.IsNaN(number) ? sign : "") + Float(number);
                    }
                    else if (type == '\0' && double.IsFinite(number) && number != 0)
                    {
                        // No type with a precision: 'g', except that a fixed-point result keeps ".0" and therefore
                        // switches to an exponent one digit earlier (CPython's add_dot_0_if_integer).
                        int p = Math.Max(1, precision!.Value);
                        string probe = Scientific(Math.Abs(number), p - 1, false);
                        int exponent = int.Parse(probe.AsSpan(probe.IndexOf('e', StringComparison.Ordinal) + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                        string body = exponent >= -4 && exponent < p - 1
                            ? StripFractionZeros(Math.Abs(number).ToString("F" + (p - 1 - exponent), CultureInfo.InvariantCulture))
                            : StripFractionZeros(probe);
                        if (body.AsSpan().IndexOfAny(".e") < 0)
                        {
                            body += ".0";
                        }

                        text = (double.IsNegative(number) ? "-" : sign) + body;
                    }
                    else
                    {
                        text = FormatFloat(number, type == '\0' ? 'g' : type, precision ?? 6, sign, alternate);
                        if (type == '\0' && double.IsFinite(number) && text.AsSpan().IndexOfAny(".e") < 0)
                        {
                            text += ".0";
                        }
                    }

                    if (grouping)
                    {
                        int dot = text.IndexOfAny(['.', 'e', 'E', '%']);
                        string whole = dot < 0 ? text : text[..dot];
                        string rest = dot < 0 ? "" : text[dot..];
                        string signPart = whole.Length > 0 && whole[0] is '-' or '+' or ' ' ? whole[..1] : "";
                        if (long.TryParse(whole.AsSpan(signPart.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long integral))
                        {
                            text = signPart + integral.ToString("#,0", CultureInfo.InvariantCulture) + rest;
                        }
                    }

                    align = align == '\0' ? '>' : align;
                    break;
                }

            default:
                throw TemplateErrors.Value($"Unknown format code {Repr(type.ToString())} for object of type {Repr(Py.TypeName(value))}");
        }

        return Pad(text, width, align, fill);
    }
}
