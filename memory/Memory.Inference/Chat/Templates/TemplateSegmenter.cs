namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Splits template source into text and tags and applies Jinja's whitespace control the way Hugging Face renders chat
/// templates (<c>trim_blocks=True, lstrip_blocks=True</c>), matching jinja2 3.1's lexer:
/// <list type="bullet">
/// <item><c>trim_blocks</c>: the first newline after a block or comment tag is dropped (not after <c>{{ }}</c>, not after
/// <c>{% raw %}</c>, not when the tag ends with <c>+%}</c>).</item>
/// <item><c>lstrip_blocks</c>: whitespace between the start of a line and a block or comment tag is dropped (not before
/// <c>{{ }}</c>, not when the tag starts with <c>{%+</c>).</item>
/// <item><c>{%-</c> / <c>-%}</c> (and the same on <c>{{ }}</c> and <c>{# #}</c>): all whitespace, newlines included, before
/// or after the tag is dropped.</item>
/// </list>
/// The source must already have its newlines normalised to <c>\n</c> (see <see cref="TemplateParser.Parse"/>).
/// </summary>
internal static class TemplateSegmenter
{
    public static List<TemplateSegment> Split(string source)
    {
        var raw = SplitRaw(source);
        var result = new List<TemplateSegment>(raw.Count);
        for (int i = 0; i < raw.Count; i++)
        {
            var segment = raw[i];
            if (segment.Kind != SegmentKind.Text)
            {
                result.Add(segment);
                continue;
            }

            var previous = i > 0 ? raw[i - 1] : null;
            var next = i + 1 < raw.Count ? raw[i + 1] : null;
            string text = segment.Content;

            // Before the next tag. Jinja decides lstrip on the text as it stands after the previous tag consumed its
            // trailing newline (trim_blocks) or whitespace (-); "at the start of a line" means the text holds a newline,
            // or it is the start of the template, or the previous tag's consumed suffix ended with one. The last case
            // only arises when that suffix was "\n" (trim_blocks), and then the raw text here still holds that newline.
            if (next is not null && next.TrimBefore)
            {
                text = PyString.TrimEnd(text);
            }
            else if (next is not null && next.IsBlock && !next.KeepBefore)
            {
                int lineStart = text.LastIndexOf('\n') + 1;
                bool atLineStart = lineStart > 0 || segment.Position == 0;
                if (atLineStart && lineStart < text.Length && IsWhitespaceOnly(text, lineStart))
                {
                    text = text[..lineStart];
                }
            }

            // After the previous tag.
            if (previous is not null && previous.TrimAfter)
            {
                text = PyString.TrimStart(text);
            }
            else if (previous is not null && previous.IsBlock && !previous.KeepAfter && !previous.IsRawBegin && text.StartsWith('\n'))
            {
                text = text[1..];
            }

            if (text.Length > 0)
            {
                result.Add(segment with { Content = text });
            }
        }

        return result;
    }

    private static bool IsWhitespaceOnly(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (!PyString.IsSpace(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static List<TemplateSegment> SplitRaw(string source)
    {
        var segments = new List<TemplateSegment>();
        int position = 0;
        while (position < source.Length)
        {
            int open = FindTagStart(source, position);
            if (open < 0)
            {
                segments.Add(new TemplateSegment(SegmentKind.Text, source[position..], position));
                break;
            }

            if (open > position)
            {
                segments.Add(new TemplateSegment(SegmentKind.Text, source[position..open], position));
            }

            if (TryReadRaw(source, open, segments, out int afterRaw))
            {
                position = afterRaw;
                continue;
            }

            char marker = source[open + 1];
            var kind = marker switch
            {
                '{' => SegmentKind.Output,
                '%' => SegmentKind.Statement,
                _ => SegmentKind.Comment,
            };
            int inner = open + 2;
            bool trimBefore = inner < source.Length && source[inner] == '-';
            bool keepBefore = inner < source.Length && source[inner] == '+';
            if (trimBefore || keepBefore)
            {
                inner++;
            }

            int end = kind == SegmentKind.Comment ? source.IndexOf("#}", inner, StringComparison.Ordinal) : FindClose(source, inner, kind);
            if (end < 0)
            {
                string what = kind switch
                {
                    SegmentKind.Comment => "comment",
                    SegmentKind.Output => "'{{' tag",
                    _ => "'{%' tag",
                };
                string close = kind switch
                {
                    SegmentKind.Comment => "#}",
                    SegmentKind.Output => "}}",
                    _ => "%}",
                };
                throw TemplateParser.SyntaxError(source, open, $"the {what} opened here is never closed with '{close}'");
            }

            // "+}}" is not a modifier in Jinja (it would be a dangling '+' operator), "+%}" and "+#}" are.
            bool trimAfter = end > inner && source[end - 1] == '-';
            bool keepAfter = kind != SegmentKind.Output && end > inner && source[end - 1] == '+';
            int contentEnd = trimAfter || keepAfter ? end - 1 : end;
            segments.Add(new TemplateSegment(kind, source[inner..contentEnd], open)
            {
                ContentPosition = inner,
                TrimBefore = trimBefore,
                KeepBefore = keepBefore,
                TrimAfter = trimAfter,
                KeepAfter = keepAfter,
            });
            position = end + 2;
        }

        return segments;
    }

    private static int FindTagStart(string source, int from)
    {
        for (int i = from; i + 1 < source.Length; i++)
        {
            if (source[i] == '{' && source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The closing delimiter of a <c>{{ }}</c> or <c>{% %}</c> tag: outside string literals, and only where brackets are
    /// balanced (Jinja's lexer reads <c>{{ {'a': {'b': 1}} }}</c> as one tag).
    /// </summary>
    private static int FindClose(string source, int from, SegmentKind kind)
    {
        char first = kind == SegmentKind.Output ? '}' : '%';
        int depth = 0;
        for (int i = from; i < source.Length; i++)
        {
            char c = source[i];
            if (c is '\'' or '"')
            {
                int closing = FindStringEnd(source, i);
                if (closing < 0)
                {
                    throw TemplateParser.SyntaxError(source, i, $"unexpected char {PyFormat.Repr(c.ToString())}: the string literal is never closed");
                }

                i = closing;
            }
            else if (depth == 0 && c == first && i + 1 < source.Length && source[i + 1] == '}')
            {
                return i;
            }
            else if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}' && depth > 0)
            {
                depth--;
            }
        }

        return -1;
    }

    private static int FindStringEnd(string source, int start)
    {
        char quote = source[start];
        for (int i = start + 1; i < source.Length; i++)
        {
            if (source[i] == '\\')
            {
                i++;
            }
            else if (source[i] == quote)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// <c>{% raw %}...{% endraw %}</c>: the text between is kept verbatim. Emits the raw tag, the text and the endraw tag as
    /// segments so that whitespace control around them follows the same rules as for other block tags.
    /// </summary>
    private static bool TryReadRaw(string source, int open, List<TemplateSegment> segments, out int after)
    {
        after = open;
        if (source[open + 1] != '%' || !TryMatchRawTag(source, open, "raw", allowKeepAfter: false, out var begin, out int beginEnd))
        {
            return false;
        }

        int search = beginEnd;
        while (true)
        {
            int candidate = source.IndexOf("{%", search, StringComparison.Ordinal);
            if (candidate < 0)
            {
                throw TemplateParser.SyntaxError(source, open, "Missing end of raw directive");
            }

            if (TryMatchRawTag(source, candidate, "endraw", allowKeepAfter: true, out var end, out int endEnd))
            {
                segments.Add(begin with { IsRawBegin = true });
                if (candidate > beginEnd)
                {
                    segments.Add(new TemplateSegment(SegmentKind.Text, source[beginEnd..candidate], beginEnd) { IsRaw = true });
                }

                segments.Add(end);
                after = endEnd;
                return true;
            }

            search = candidate + 2;
        }
    }

    private static bool TryMatchRawTag(string source, int open, string name, bool allowKeepAfter, out TemplateSegment tag, out int end)
    {
        tag = null!;
        end = 0;
        int i = open + 2;
        bool trimBefore = i < source.Length && source[i] == '-';
        bool keepBefore = i < source.Length && source[i] == '+';
        if (trimBefore || keepBefore)
        {
            i++;
        }

        int contentStart = i;
        while (i < source.Length && PyString.IsSpace(source[i]))
        {
            i++;
        }

        if (string.CompareOrdinal(source, i, name, 0, name.Length) != 0)
        {
            return false;
        }

        i += name.Length;
        while (i < source.Length && PyString.IsSpace(source[i]))
        {
            i++;
        }

        bool trimAfter = false;
        bool keepAfter = false;
        if (i < source.Length && source[i] == '-')
        {
            trimAfter = true;
            i++;
        }
        else if (allowKeepAfter && i < source.Length && source[i] == '+')
        {
            keepAfter = true;
            i++;
        }

        if (i + 1 >= source.Length || source[i] != '%' || source[i + 1] != '}')
        {
            return false;
        }

        tag = new TemplateSegment(SegmentKind.Statement, name, open)
        {
            ContentPosition = contentStart,
            TrimBefore = trimBefore,
            KeepBefore = keepBefore,
            TrimAfter = trimAfter,
            KeepAfter = keepAfter,
        };
        end = i + 2;
        return true;
    }
}
