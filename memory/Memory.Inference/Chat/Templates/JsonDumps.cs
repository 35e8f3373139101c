using System.Globalization;
using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Python's <c>json.dumps</c> as Hugging Face's <c>tojson</c> filter calls it: <c>ensure_ascii=False</c> by default (so
/// non-ASCII text is kept), <c>indent</c> (an int or a string; with an indent the item separator loses its trailing
/// space), <c>separators</c>, <c>sort_keys</c>; and unlike jinja2's own tojson, no HTML escaping.
/// </summary>
internal static class JsonDumps
{
    public static string Serialize(TemplateRenderer renderer, object? value, bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var builder = new StringBuilder();
        var writer = new Writer(renderer, builder, ensureAscii, indent, itemSeparator, keySeparator, sortKeys);
        writer.Write(value, 0);
        return builder.ToString();
    }

    private sealed class Writer(TemplateRenderer renderer, StringBuilder builder, bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        public void Write(object? value, int depth)
        {
            if (depth > PyFormat.MaxDataDepth)
            {
                throw TemplateErrors.Runtime($"data nested deeper than {PyFormat.MaxDataDepth} levels cannot be serialised");
            }

            if (builder.Length > ChatTemplate.MaxOutputLength)
            {
                throw TemplateErrors.Runtime($"tojson produced more than {ChatTemplate.MaxOutputLength} characters (ChatTemplate.MaxOutputLength)");
            }

            switch (value)
            {
                case null:
                    builder.Append("null");
                    break;
                case bool b:
                    builder.Append(b ? "true" : "false");
                    break;
                case long l:
                    builder.Append(l.ToString(CultureInfo.InvariantCulture));
                    break;
                case double d:
                    builder.Append(Float(d));
                    break;
                case string s:
                    WriteString(s);
                    break;
                case ListValue { Kind: SequenceKind.List or SequenceKind.Tuple } list:
                    WriteArray(list.Items, depth);
                    break;
                case DictValue dict:
                    WriteObject(dict, depth);
                    break;
                default:
                    throw TemplateErrors.Type($"Object of type {Py.TypeName(value)} is not JSON serializable");
            }

            renderer.Allocate(1);
        }

        private static string Float(double d) => double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyFormat.Float(d);

        private void NewLine(int depth)
        {
            if (indent is not null)
            {
                builder.Append('\n');
                for (int i = 0; i < depth; i++)
                {
                    builder.Append(indent);
                }
            }
        }

        private void WriteArray(IReadOnlyList<object?> items, int depth)
        {
            if (items.Count == 0)
            {
                builder.Append("[]");
                return;
            }

            builder.Append('[');
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(itemSeparator);
                }

                NewLine(depth + 1);
                Write(items[i], depth + 1);
            }

            NewLine(depth);
            builder.Append(']');
        }

        private void WriteObject(DictValue dict, int depth)
        {
            if (dict.Count == 0)
            {
                builder.Append("{}");
                return;
            }

            var items = dict.Items.Select(p => (Key: KeyText(p.Key), p.Value)).ToList();
            if (sortKeys)
            {
                // Python sorts the original keys; all-string keys are the case that matters.
                items = [.. items.OrderBy(p => p.Key, Comparer<string>.Create(PyString.Compare))];
            }

            builder.Append('{');
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(itemSeparator);
                }

                NewLine(depth + 1);
                WriteString(items[i].Key);
                builder.Append(keySeparator);
                Write(items[i].Value, depth + 1);
            }

            NewLine(depth);
            builder.Append('}');
        }

        private static string KeyText(object? key) => key switch
        {
            string s => s,
            null => "null",
            bool b => b ? "true" : "false",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => Float(d),
            _ => throw TemplateErrors.Type($"keys must be str, int, float, bool or None, not {Py.TypeName(key)}"),
        };

        private void WriteString(string s)
        {
            builder.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"':
                        builder.Append("\\\"");
                        break;
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
                    case '\b':
                        builder.Append("\\b");
                        break;
                    case '\f':
                        builder.Append("\\f");
                        break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7E))
                        {
                            // ensure_ascii escapes UTF-16 units, so astral characters become surrogate pairs, as in Python.
                            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            builder.Append('"');
        }
    }
}
