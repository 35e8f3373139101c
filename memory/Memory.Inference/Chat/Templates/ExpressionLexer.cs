using System.Globalization;
using System.Numerics;
using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Tokenizes the inside of a tag like jinja2's lexer: names, string literals (Python escape sequences), integers
/// (decimal, <c>0x</c>, <c>0o</c>, <c>0b</c>, <c>_</c> separators), floats (fraction and/or exponent; never directly after
/// a dot, so <c>x.0.1</c> is <c>x[0][1]</c>), and Jinja's operators.
/// </summary>
internal static class ExpressionLexer
{
    // Longest first, as jinja2 sorts them.
    private static readonly string[] Operators =
    [
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "|", ".", ",", ":", ";", "(", ")", "[", "]", "{", "}",
    ];

    public static List<TemplateToken> Tokenize(string source, string text, int offset)
    {
        var tokens = new List<TemplateToken>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (PyString.IsSpace(c))
            {
                i++;
                continue;
            }

            int start = i;
            if (char.IsAsciiDigit(c) && (i == 0 || text[i - 1] != '.') && TryReadFloat(text, i, out int floatEnd))
            {
                string literal = text[start..floatEnd].Replace("_", "", StringComparison.Ordinal);
                double value = double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
                tokens.Add(new TemplateToken(TokenKind.Float, literal, offset + start) { Value = value });
                i = floatEnd;
            }
            else if (char.IsAsciiDigit(c))
            {
                i = ReadInteger(source, text, i, offset, out object value);
                tokens.Add(new TemplateToken(TokenKind.Integer, text[start..i].Replace("_", "", StringComparison.Ordinal), offset + start) { Value = value });
            }
            else if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new TemplateToken(TokenKind.Name, text[start..i], offset + start));
            }
            else if (c is '\'' or '"')
            {
                i = ReadString(source, text, i, offset, out string value);
                tokens.Add(new TemplateToken(TokenKind.String, value, offset + start));
            }
            else
            {
                string? op = null;
                foreach (string candidate in Operators)
                {
                    if (string.CompareOrdinal(text, i, candidate, 0, candidate.Length) == 0)
                    {
                        op = candidate;
                        break;
                    }
                }

                if (op is null)
                {
                    throw TemplateParser.SyntaxError(source, offset + i, $"unexpected char {PyFormat.Repr(c.ToString())}");
                }

                tokens.Add(new TemplateToken(TokenKind.Operator, op, offset + start));
                i += op.Length;
            }
        }

        tokens.Add(new TemplateToken(TokenKind.End, "", offset + text.Length));
        return tokens;
    }

    /// <summary><c>(\d+_)*\d+((\.(\d+_)*\d+)?e[+-]?(\d+_)*\d+|\.(\d+_)*\d+)</c>, case-insensitive.</summary>
    private static bool TryReadFloat(string text, int start, out int end)
    {
        end = start;
        int i = ReadDigits(text, start);
        bool fraction = false;
        if (i < text.Length && text[i] == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
        {
            i = ReadDigits(text, i + 1);
            fraction = true;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            int j = i + 1;
            if (j < text.Length && text[j] is '+' or '-')
            {
                j++;
            }

            if (j < text.Length && char.IsAsciiDigit(text[j]))
            {
                end = ReadDigits(text, j);
                return true;
            }
        }

        end = i;
        return fraction;
    }

    /// <summary>Digits with single <c>_</c> separators between them.</summary>
    private static int ReadDigits(string text, int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
            if (i + 1 < text.Length && text[i] == '_' && char.IsAsciiDigit(text[i + 1]))
            {
                i++;
            }
        }

        return i;
    }

    private static int ReadInteger(string source, string text, int start, int offset, out object value)
    {
        int radix = 10;
        int i = start;
        if (text[i] == '0' && i + 1 < text.Length && char.ToLowerInvariant(text[i + 1]) is 'x' or 'o' or 'b')
        {
            int candidate = char.ToLowerInvariant(text[i + 1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            int j = i + 2;
            if (j < text.Length && text[j] == '_')
            {
                j++;
            }

            if (j < text.Length && DigitValue(text[j]) is int d && d < candidate)
            {
                radix = candidate;
                i += 2;
            }
        }

        var digits = new StringBuilder();
        if (radix == 10 && text[i] == '0')
        {
            // "0(_?0)*": a decimal literal never has a leading zero; "01" lexes as 0 then 1, as in Jinja.
            digits.Append('0');
            i++;
            while (i < text.Length && (text[i] == '0' || (text[i] == '_' && i + 1 < text.Length && text[i + 1] == '0')))
            {
                i++;
            }
        }
        else
        {
            while (i < text.Length)
            {
                if (text[i] == '_' && i + 1 < text.Length && DigitValue(text[i + 1]) is int next && next < radix)
                {
                    i++;
                    continue;
                }

                if (DigitValue(text[i]) is int d && d < radix)
                {
                    digits.Append(text[i]);
                    i++;
                    continue;
                }

                break;
            }
        }

        var number = BigInteger.Zero;
        foreach (char digit in digits.ToString())
        {
            number = (number * radix) + DigitValue(digit)!.Value;
        }

        if (number > long.MaxValue)
        {
            throw TemplateParser.SyntaxError(source, offset + start, "integer literal too large for this renderer (64-bit integers)");
        }

        value = (long)number;
        return i;
    }

    private static int? DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => null,
    };

    /// <summary>A quoted literal decoded the way jinja2 does it: Python's <c>unicode_escape</c> codec.</summary>
    private static int ReadString(string source, string text, int start, int offset, out string value)
    {
        char quote = text[start];
        var builder = new StringBuilder();
        int i = start + 1;
        while (i < text.Length && text[i] != quote)
        {
            char c = text[i];
            if (c != '\\' || i + 1 >= text.Length)
            {
                builder.Append(c);
                i++;
                continue;
            }

            int escapeAt = i;
            char escaped = text[i + 1];
            i += 2;
            switch (escaped)
            {
                case '\n': break;
                case '\\': builder.Append('\\'); break;
                case '\'': builder.Append('\''); break;
                case '"': builder.Append('"'); break;
                case 'a': builder.Append('\a'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'v': builder.Append('\v'); break;
                case >= '0' and <= '7':
                    {
                        int code = escaped - '0';
                        for (int n = 0; n < 2 && i < text.Length && text[i] is >= '0' and <= '7'; n++, i++)
                        {
                            code = (code * 8) + (text[i] - '0');
                        }

                        builder.Append((char)code);
                        break;
                    }

                case 'x' or 'u' or 'U':
                    {
                        int length = escaped switch { 'x' => 2, 'u' => 4, _ => 8 };
                        if (i + length > text.Length || !int.TryParse(text.AsSpan(i, length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
                            || code is < 0 or > 0x10FFFF)
                        {
                            throw TemplateParser.SyntaxError(source, offset + escapeAt, $"truncated or invalid \\{escaped} escape in a string literal");
                        }

                        builder.Append(code <= 0xFFFF ? ((char)code).ToString() : char.ConvertFromUtf32(code));
                        i += length;
                        break;
                    }

                case 'N':
                    throw TemplateParser.SyntaxError(source, offset + escapeAt, "\\N{...} escapes in string literals are not supported by this renderer");
                default:
                    builder.Append('\\').Append(escaped);
                    break;
            }
        }

        if (i >= text.Length)
        {
            throw TemplateParser.SyntaxError(source, offset + start, $"unexpected char {PyFormat.Repr(quote.ToString())}: the string literal is never closed");
        }

        value = builder.ToString();
        return i + 1;
    }
}
