using System.Text;
using System.Text.Json;

namespace Memory.Conversations.Extraction;

/// <summary>
/// Reads the JSON object a chat model meant to write: inside a markdown code fence or after some prose, followed
/// by trailing text, with comments or trailing commas, with single-quoted strings or Python literals
/// (True/False/None). Output cut off before the object closes is reported as truncated, never guessed at.
/// </summary>
public static class LenientJson
{
    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>Parses the first JSON object in <paramref name="text"/>; false with a reason a model can act on.</summary>
    public static bool TryParse(string? text, out JsonElement root, out string error)
    {
        root = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The answer was empty.";
            return false;
        }

        var body = Unfence(text);
        var start = body.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            error = "The answer holds no JSON object (no '{').";
            return false;
        }

        var end = FindObjectEnd(body, start);
        if (end < 0)
        {
            error = "The answer ends before its JSON object is closed (the output looks truncated).";
            return false;
        }

        var candidate = body[start..(end + 1)];
        if (TryDocument(candidate, out root, out error))
        {
            return true;
        }

        var repaired = RepairQuotesAndLiterals(candidate);
        if (repaired != candidate && TryDocument(repaired, out root, out _))
        {
            error = string.Empty;
            return true;
        }

        return false;
    }

    private static bool TryDocument(string json, out JsonElement root, out string error)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Options);
            root = document.RootElement.Clone();
            error = string.Empty;
            return true;
        }
        catch (JsonException exception)
        {
            root = default;
            error = $"The answer is not valid JSON: {exception.Message}";
            return false;
        }
    }

    /// <summary>The contents of the first ``` fence when there is one (closed or not), else the text itself.</summary>
    private static string Unfence(string text)
    {
        var open = text.IndexOf("```", StringComparison.Ordinal);
        if (open < 0)
        {
            return text;
        }

        var lineEnd = text.IndexOf('\n', open);
        if (lineEnd < 0)
        {
            return text;
        }

        var close = text.IndexOf("```", lineEnd, StringComparison.Ordinal);
        var inner = close < 0 ? text[(lineEnd + 1)..] : text[(lineEnd + 1)..close];
        return inner.Contains('{', StringComparison.Ordinal) ? inner : text;
    }

    /// <summary>Index of the brace closing the object that opens at <paramref name="start"/>, skipping strings of either quote; -1 when unclosed.</summary>
    private static int FindObjectEnd(string text, int start)
    {
        var depth = 0;
        char? quote = null;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == q)
                {
                    quote = null;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quote = c;
                    break;
                case '\'' when IsSingleQuoteOpening(text, i):
                    quote = c;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']':
                    depth--;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }

    /// <summary>A single quote opens a string only where a JSON value or key may start (not an apostrophe inside words).</summary>
    private static bool IsSingleQuoteOpening(string text, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                continue;
            }

            return text[i] is '{' or '[' or ',' or ':';
        }

        return false;
    }

    /// <summary>Rewrites single-quoted strings as JSON strings and True/False/None as true/false/null.</summary>
    private static string RepairQuotesAndLiterals(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                var end = SkipString(text, i, '"');
                builder.Append(text, i, end - i + 1);
                i = end;
            }
            else if (c == '\'' && IsSingleQuoteOpening(text, i))
            {
                var end = SkipString(text, i, '\'');
                builder.Append('"');
                for (var j = i + 1; j < end; j++)
                {
                    if (text[j] == '\\' && j + 1 < end && text[j + 1] == '\'')
                    {
                        builder.Append('\'');
                        j++;
                    }
                    else if (text[j] == '"')
                    {
                        builder.Append("\\\"");
                    }
                    else
                    {
                        builder.Append(text[j]);
                    }
                }

                builder.Append('"');
                i = end;
            }
            else if (char.IsLetter(c) && (i == 0 || !char.IsLetterOrDigit(text[i - 1])))
            {
                var wordEnd = i;
                while (wordEnd < text.Length && char.IsLetter(text[wordEnd]))
                {
                    wordEnd++;
                }

                var word = text[i..wordEnd];
                builder.Append(word switch { "True" => "true", "False" => "false", "None" => "null", _ => word });
                i = wordEnd - 1;
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static int SkipString(string text, int start, char quote)
    {
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == quote)
            {
                return i;
            }
        }

        return text.Length - 1;
    }
}
