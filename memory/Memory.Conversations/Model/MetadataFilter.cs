using System.Text.Json;

namespace Memory.Conversations.Model;

/// <summary>
/// Equality filters on top-level metadata keys (Mem0's <c>filters</c>): a memory passes when, for every
/// key, its metadata holds a JSON value equal to the given one; an array value means "any of these".
/// </summary>
public sealed record MetadataFilter(IReadOnlyDictionary<string, JsonElement> Conditions)
{
    public static MetadataFilter None { get; } = new(new Dictionary<string, JsonElement>());

    public bool IsEmpty => Conditions.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, JsonElement> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach (var (key, expected) in Conditions)
        {
            if (!metadata.TryGetValue(key, out var actual))
            {
                return false;
            }

            if (expected.ValueKind == JsonValueKind.Array)
            {
                var any = false;
                foreach (var option in expected.EnumerateArray())
                {
                    if (JsonElement.DeepEquals(option, actual))
                    {
                        any = true;
                        break;
                    }
                }

                if (!any)
                {
                    return false;
                }
            }
            else if (!JsonElement.DeepEquals(expected, actual))
            {
                return false;
            }
        }

        return true;
    }
}
