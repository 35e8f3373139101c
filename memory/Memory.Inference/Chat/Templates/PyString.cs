using System.Globalization;
using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Python <c>str</c> semantics over .NET strings: lengths, indices and slices count code points (an emoji is one
/// character, as in Python), whitespace is Python's <c>str.isspace()</c>, and the str methods jinja2's sandbox allows.
/// Lone surrogates are kept as single characters.
/// </summary>
internal static class PyString
{
    private static readonly System.Buffers.SearchValues<char> SpecialUpper = System.Buffers.SearchValues.Create("ßıſ\uFB00\uFB01\uFB02\uFB03\uFB04\uFB05\uFB06");

    /// <summary>Python's <c>str.isspace()</c> for one UTF-16 unit (it also counts U+001C..U+001F, which .NET does not).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static string TrimStart(string s)
    {
        int i = 0;
        while (i < s.Length && IsSpace(s[i]))
        {
            i++;
        }

        return i == 0 ? s : s[i..];
    }

    public static string TrimEnd(string s)
    {
        int i = s.Length;
        while (i > 0 && IsSpace(s[i - 1]))
        {
            i--;
        }

        return i == s.Length ? s : s[..i];
    }

    /// <summary><c>str.strip/lstrip/rstrip(chars)</c>: whitespace when <paramref name="chars"/> is null, else any of its code points.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        if (chars is null)
        {
            string result = left ? TrimStart(s) : s;
            return right ? TrimEnd(result) : result;
        }

        var set = new HashSet<int>(CodePoints(chars));
        var points = CodePoints(s);
        int start = 0;
        int end = points.Length;
        while (left && start < end && set.Contains(points[start]))
        {
            start++;
        }

        while (right && end > start && set.Contains(points[end - 1]))
        {
            end--;
        }

        return FromCodePoints(points.AsSpan(start, end - start));
    }

    public static bool HasSurrogates(string s)
    {
        foreach (char c in s)
        {
            if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    public static int Length(string s)
    {
        int length = s.Length;
        for (int i = 0; i + 1 < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                length--;
                i++;
            }
        }

        return length;
    }

    /// <summary>The code points of <paramref name="s"/>; a lone surrogate is its own code point.</summary>
    public static int[] CodePoints(string s)
    {
        var points = new int[Length(s)];
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                points[n++] = char.ConvertToUtf32(s[i], s[i + 1]);
                i++;
            }
            else
            {
                points[n++] = s[i];
            }
        }

        return points;
    }

    public static string FromCodePoints(ReadOnlySpan<int> points)
    {
        var builder = new StringBuilder(points.Length);
        foreach (int point in points)
        {
            Append(builder, point);
        }

        return builder.ToString();
    }

    public static void Append(StringBuilder builder, int point)
    {
        if (point <= 0xFFFF)
        {
            builder.Append((char)point);
        }
        else
        {
            builder.Append(char.ConvertFromUtf32(point));
        }
    }

    public static string FromCodePoint(int point) => point <= 0xFFFF ? ((char)point).ToString() : char.ConvertFromUtf32(point);

    /// <summary>Iteration over a string: one string per code point.</summary>
    public static IEnumerable<object?> Characters(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                yield return s.Substring(i, 2);
                i++;
            }
            else
            {
                yield return s[i].ToString();
            }
        }
    }

    /// <summary><c>s[index]</c>, or null when the index is out of range (Python raises IndexError there).</summary>
    public static string? At(string s, long index)
    {
        if (!HasSurrogates(s))
        {
            if (index < 0)
            {
                index += s.Length;
            }

            return index >= 0 && index < s.Length ? s[(int)index].ToString() : null;
        }

        var points = CodePoints(s);
        if (index < 0)
        {
            index += points.Length;
        }

        return index >= 0 && index < points.Length ? FromCodePoint(points[index]) : null;
    }

    public static string Slice(string s, long? start, long? stop, long? step)
    {
        if (!HasSurrogates(s) && (step ?? 1) == 1)
        {
            var (from, _, _, count) = Py.SliceIndices(s.Length, start, stop, step);
            return count == 0 ? "" : s.Substring((int)from, (int)count);
        }

        var points = CodePoints(s);
        var (first, _, by, length) = Py.SliceIndices(points.Length, start, stop, step);
        var builder = new StringBuilder((int)length);
        for (long i = 0, at = first; i < length; i++, at += by)
        {
            Append(builder, points[at]);
        }

        return builder.ToString();
    }

    /// <summary>Converts a UTF-16 index into a code point index (for find/index results).</summary>
    public static long CodePointIndex(string s, int utf16Index)
    {
        long index = utf16Index;
        for (int i = 0; i + 1 < utf16Index; i++)
        {
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                index--;
                i++;
            }
        }

        return index;
    }

    /// <summary>Python string ordering: by code point (UTF-16 ordinal order differs only around surrogates).</summary>
    public static int Compare(string a, string b)
    {
        if (!HasSurrogates(a) && !HasSurrogates(b))
        {
            return string.CompareOrdinal(a, b);
        }

        var x = CodePoints(a);
        var y = CodePoints(b);
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            if (x[i] != y[i])
            {
                return x[i].CompareTo(y[i]);
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    public static string Upper(string s)
    {
        string upper = s.ToUpperInvariant();
        return upper.AsSpan().IndexOfAny(SpecialUpper) >= 0 ? ExpandSpecialUpper(upper) : upper;
    }

    public static string Lower(string s) => (s.Contains('\u0130', StringComparison.Ordinal) ? s.Replace("\u0130", "i\u0307", StringComparison.Ordinal) : s).ToLowerInvariant();

    /// <summary>Python's <c>str.title()</c>: a cased letter after a cased letter is lowered, any other is title-cased (<c>they'Re</c>).</summary>
    public static string Title(string s)
    {
        var builder = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (int point in CodePoints(s))
        {
            if (IsCased(point))
            {
                builder.Append(previousCased ? LowerPoint(point) : TitlePoint(point));
                previousCased = true;
            }
            else
            {
                Append(builder, point);
                previousCased = false;
            }
        }

        return builder.ToString();
    }

    /// <summary>Python's <c>str.capitalize()</c>: first character title-cased, the rest lowered.</summary>
    public static string Capitalize(string s)
    {
        if (s.Length == 0)
        {
            return s;
        }

        var points = CodePoints(s);
        return TitlePoint(points[0]) + Lower(FromCodePoints(points.AsSpan(1)));
    }

    public static string SwapCase(string s)
    {
        var builder = new StringBuilder(s.Length);
        foreach (int point in CodePoints(s))
        {
            string text = FromCodePoint(point);
            builder.Append(IsUpperPoint(point) ? Lower(text) : IsLowerPoint(point) ? Upper(text) : text);
        }

        return builder.ToString();
    }

    /// <summary>Python's <c>str.islower()</c> / <c>isupper()</c>: at least one cased character and none of the other case.</summary>
    public static bool IsLower(string s) => HasCase(s, IsLowerPoint, IsUpperOrTitlePoint);

    public static bool IsUpper(string s) => HasCase(s, IsUpperPoint, IsLowerOrTitlePoint);

    public static bool All(string s, Func<int, bool> predicate) => s.Length > 0 && CodePoints(s).All(predicate);

    public static bool IsDigitPoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) == UnicodeCategory.DecimalDigitNumber
        || (point <= 0xFFFF && char.IsDigit((char)point));

    public static bool IsAlphaPoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    public static bool IsNumericPoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    public static bool IsSpacePoint(int point) => point <= 0xFFFF && IsSpace((char)point);

    /// <summary><c>str.split(sep, maxsplit)</c>; with no separator, runs of whitespace split and ends are trimmed.</summary>
    public static List<object?> Split(string s, string? separator, long maxSplit)
    {
        var parts = new List<object?>();
        if (separator is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i]))
                {
                    i++;
                }

                if (i >= s.Length)
                {
                    break;
                }

                if (maxSplit >= 0 && parts.Count >= maxSplit)
                {
                    parts.Add(s[i..]);
                    break;
                }

                int start = i;
                while (i < s.Length && !IsSpace(s[i]))
                {
                    i++;
                }

                parts.Add(s[start..i]);
            }

            return parts;
        }

        if (separator.Length == 0)
        {
            throw TemplateErrors.Value("empty separator");
        }

        int from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(separator, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            parts.Add(s[from..at]);
            from = at + separator.Length;
        }

        parts.Add(s[from..]);
        return parts;
    }

    /// <summary><c>str.rsplit(sep, maxsplit)</c>.</summary>
    public static List<object?> RSplit(string s, string? separator, long maxSplit)
    {
        if (maxSplit < 0)
        {
            return Split(s, separator, maxSplit);
        }

        var parts = new List<object?>();
        if (separator is null)
        {
            int i = s.Length;
            while (true)
            {
                while (i > 0 && IsSpace(s[i - 1]))
                {
                    i--;
                }

                if (i <= 0)
                {
                    break;
                }

                if (parts.Count >= maxSplit)
                {
                    parts.Add(s[..i]);
                    break;
                }

                int end = i;
                while (i > 0 && !IsSpace(s[i - 1]))
                {
                    i--;
                }

                parts.Add(s[i..end]);
            }
        }
        else
        {
            if (separator.Length == 0)
            {
                throw TemplateErrors.Value("empty separator");
            }

            int end = s.Length;
            while (parts.Count < maxSplit)
            {
                int at = end - separator.Length < 0 ? -1 : s.LastIndexOf(separator, end - 1, end, StringComparison.Ordinal);
                if (at < 0 || at + separator.Length > end)
                {
                    break;
                }

                parts.Add(s[(at + separator.Length)..end]);
                end = at;
            }

            parts.Add(s[..end]);
        }

        parts.Reverse();
        return parts;
    }

    /// <summary><c>str.splitlines(keepends)</c> with Python's line boundaries.</summary>
    public static List<string> SplitLines(string s, bool keepEnds = false)
    {
        var lines = new List<string>();
        int start = 0;
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            int breakLength = c switch
            {
                '\r' when i + 1 < s.Length && s[i + 1] == '\n' => 2,
                '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029' => 1,
                _ => 0,
            };
            if (breakLength == 0)
            {
                i++;
                continue;
            }

            lines.Add(keepEnds ? s[start..(i + breakLength)] : s[start..i]);
            i += breakLength;
            start = i;
        }

        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }

        return lines;
    }

    /// <summary><c>str.replace(old, new, count)</c>, including Python's behaviour for an empty <paramref name="old"/>.</summary>
    public static string Replace(TemplateRenderer renderer, string s, string old, string replacement, long count)
    {
        if (count == 0)
        {
            return s;
        }

        if (old.Length == 0)
        {
            var points = CodePoints(s);
            long inserts = count < 0 ? points.Length + 1 : Math.Min(count, points.Length + 1);
            renderer.Allocate(s.Length + (inserts * replacement.Length));
            var builder = new StringBuilder();
            long done = 0;
            for (int i = 0; i <= points.Length; i++)
            {
                if (done < inserts)
                {
                    builder.Append(replacement);
                    done++;
                }

                if (i < points.Length)
                {
                    Append(builder, points[i]);
                }
            }

            return builder.ToString();
        }

        var result = new StringBuilder();
        int from = 0;
        long replaced = 0;
        while (count < 0 || replaced < count)
        {
            int at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            result.Append(s, from, at - from).Append(replacement);
            renderer.Allocate(at - from + replacement.Length);
            TemplateRenderer.CheckLength(result.Length);
            from = at + old.Length;
            replaced++;
        }

        renderer.Allocate(s.Length - from);
        result.Append(s, from, s.Length - from);
        return result.ToString();
    }

    private static bool HasCase(string s, Func<int, bool> wanted, Func<int, bool> unwanted)
    {
        bool any = false;
        foreach (int point in CodePoints(s))
        {
            if (unwanted(point))
            {
                return false;
            }

            any |= wanted(point);
        }

        return any;
    }

    private static bool IsCased(int point) => CharUnicodeInfo.GetUnicodeCategory(point) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsUpperPoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) == UnicodeCategory.UppercaseLetter;

    private static bool IsLowerPoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) == UnicodeCategory.LowercaseLetter;

    private static bool IsUpperOrTitlePoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) is UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsLowerOrTitlePoint(int point) => CharUnicodeInfo.GetUnicodeCategory(point) is UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    /// <summary>Title case of one character, as Python's str.title/capitalize: ligatures and digraphs have their own forms (ß → Ss, ﬁ → Fi, ǆ → ǅ).</summary>
    private static string TitlePoint(int point) => point switch
    {
        'ß' => "Ss",
        '\uFB00' => "Ff",
        '\uFB01' => "Fi",
        '\uFB02' => "Fl",
        '\uFB03' => "Ffi",
        '\uFB04' => "Ffl",
        '\uFB05' or '\uFB06' => "St",
        >= 0x01C4 and <= 0x01C6 => "\u01C5",
        >= 0x01C7 and <= 0x01C9 => "\u01C8",
        >= 0x01CA and <= 0x01CC => "\u01CB",
        >= 0x01F1 and <= 0x01F3 => "\u01F2",
        _ => Upper(FromCodePoint(point)),
    };

    private static string LowerPoint(int point) => Lower(FromCodePoint(point));

    /// <summary>Upper-case mappings Python applies that .NET's invariant mapping does not: the one-to-many ones (ß → SS, ligatures) and ı, ſ.</summary>
    private static string ExpandSpecialUpper(string s)
    {
        var builder = new StringBuilder(s.Length + 4);
        foreach (char c in s)
        {
            builder.Append(c switch
            {
                'ß' => "SS",
                'ı' => "I",
                'ſ' => "S",
                '\uFB00' => "FF",
                '\uFB01' => "FI",
                '\uFB02' => "FL",
                '\uFB03' => "FFI",
                '\uFB04' => "FFL",
                '\uFB05' or '\uFB06' => "ST",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}
