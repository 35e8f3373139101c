using System.Globalization;
using System.Text.Json;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Converts the values a caller passes to <see cref="ChatTemplate.Render"/> into template values, the way Python would
/// see them: JSON numbers without a fraction or exponent become ints (as <c>json.loads</c> does), others floats; objects
/// become dicts in document order; <see cref="ChatTurn"/>s become <c>{"role", "content"}</c> dicts; any .NET dictionary
/// or sequence becomes a dict or list. Values are copied, so a render never sees the caller change them.
/// </summary>
internal static class ValueConverter
{
    public static object? Convert(object? value, int depth = 0)
    {
        if (depth > PyFormat.MaxDataDepth)
        {
            throw new ArgumentException($"chat template variables nest deeper than {PyFormat.MaxDataDepth} levels (or refer to themselves)");
        }

        switch (value)
        {
            case null:
            case string:
            case bool:
            case long:
            case double:
                return value;
            case int or short or sbyte or byte or ushort or uint:
                return System.Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case ulong u:
                return u <= long.MaxValue ? (object)(long)u : (double)u;
            case float f:
                return (double)f;
            case decimal m:
                return decimal.IsInteger(m) && m >= long.MinValue && m <= long.MaxValue ? (object)(long)m : (double)m;
            case JsonElement element:
                return FromJson(element, depth);
            case System.Text.Json.Nodes.JsonNode node:
                {
                    using var document = JsonDocument.Parse(node.ToJsonString());
                    return FromJson(document.RootElement, depth);
                }

            case ChatTurn turn:
                return Message(turn);
            case IReadOnlyDictionary<string, object?> dictionary:
                {
                    var result = new DictValue();
                    foreach (var (key, item) in dictionary)
                    {
                        result.Set(key, Convert(item, depth + 1));
                    }

                    return result;
                }

            case IReadOnlyList<object?> list:
                {
                    var items = new object?[list.Count];
                    for (int i = 0; i < items.Length; i++)
                    {
                        items[i] = Convert(list[i], depth + 1);
                    }

                    return new ListValue(items);
                }

            case System.Collections.IDictionary dictionary:
                {
                    // Dictionary<string, string> and friends, which are not IReadOnlyDictionary<string, object?>.
                    var result = new DictValue();
                    foreach (System.Collections.DictionaryEntry entry in dictionary)
                    {
                        result.Set(Convert(entry.Key, depth + 1), Convert(entry.Value, depth + 1));
                    }

                    return result;
                }

            case System.Collections.IEnumerable sequence:
                {
                    // List<string>, int[] and other sequences that are not IReadOnlyList<object?>.
                    var items = new List<object?>();
                    foreach (var item in sequence)
                    {
                        items.Add(Convert(item, depth + 1));
                    }

                    return new ListValue(items);
                }

            default:
                throw new ArgumentException(
                    $"a chat template variable of type {value.GetType().Name} is not supported; use string, bool, a number, null, " +
                    "a list or dictionary of those, or a JsonElement");
        }
    }

    public static DictValue Message(ChatTurn turn)
    {
        var message = new DictValue();
        message.Set("role", turn.Role);
        message.Set("content", turn.Content);
        return message;
    }

    private static object? FromJson(JsonElement element, int depth)
    {
        if (depth > PyFormat.MaxDataDepth)
        {
            throw new ArgumentException($"chat template variables nest deeper than {PyFormat.MaxDataDepth} levels");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var result = new DictValue();
                    foreach (var property in element.EnumerateObject())
                    {
                        result.Set(property.Name, FromJson(property.Value, depth + 1));
                    }

                    return result;
                }

            case JsonValueKind.Array:
                return new ListValue(element.EnumerateArray().Select(item => FromJson(item, depth + 1)).ToArray());
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                {
                    string raw = element.GetRawText();
                    bool integral = raw.AsSpan().IndexOfAny(".eE") < 0;
                    return integral && element.TryGetInt64(out long integer) ? (object)integer : element.GetDouble();
                }

            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
