using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Model;

namespace Memory.Server.Contracts;

/// <summary>
/// Reads Mem0's <c>filters</c>: scope ids (<c>user_id</c>, <c>agent_id</c>, <c>run_id</c>) become the scope, other
/// keys become metadata equality conditions. Accepted shapes: <c>{"key": value}</c>, <c>{"key": [any of]}</c>,
/// <c>{"key": {"eq": value}}</c>, <c>{"key": {"in": [...]}}</c> and <c>{"AND": [{...}, {...}]}</c>. Anything else
/// (OR, NOT, range operators) is refused by name rather than silently matching nothing.
/// </summary>
internal static class SearchFilters
{
    private static readonly string[] ScopeKeys = ["user_id", "agent_id", "run_id"];

    public static (MemoryScope Scope, MetadataFilter Filter) Read(
        string? userId, string? agentId, string? runId, IReadOnlyDictionary<string, JsonElement>? filters)
    {
        var scope = MemoryScope.From(userId, agentId, runId);
        if (filters is null || filters.Count == 0)
        {
            return (scope, MetadataFilter.None);
        }

        var conditions = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in filters)
        {
            Collect(key, value, conditions);
        }

        var ids = new Dictionary<string, string?>
        {
            ["user_id"] = scope.UserId,
            ["agent_id"] = scope.AgentId,
            ["run_id"] = scope.RunId,
        };
        foreach (var key in ScopeKeys)
        {
            if (!conditions.Remove(key, out var value))
            {
                continue;
            }

            if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            {
                throw new MemoryValidationException($"filters.{key}", $"filters.{key} must be a non-empty string.");
            }

            var fromFilter = value.GetString()!.Trim();
            if (ids[key] is { } given && given != fromFilter)
            {
                throw new MemoryValidationException($"filters.{key}", $"filters.{key} ('{fromFilter}') contradicts {key} ('{given}').");
            }

            ids[key] = fromFilter;
        }

        return (MemoryScope.From(ids["user_id"], ids["agent_id"], ids["run_id"]), new MetadataFilter(conditions));
    }

    private static void Collect(string key, JsonElement value, Dictionary<string, JsonElement> conditions)
    {
        if (key == "AND")
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw new MemoryValidationException("filters.AND", "filters.AND must be an array of filter objects.");
            }

            foreach (var part in value.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object)
                {
                    throw new MemoryValidationException("filters.AND", "filters.AND must be an array of filter objects.");
                }

                foreach (var property in part.EnumerateObject())
                {
                    Collect(property.Name, property.Value, conditions);
                }
            }

            return;
        }

        if (key is "OR" or "NOT")
        {
            throw new MemoryValidationException($"filters.{key}", $"filters.{key} is not supported; combine conditions with AND or plain keys.");
        }

        var condition = value;
        if (value.ValueKind == JsonValueKind.Object)
        {
            condition = ReadOperator(key, value);
        }

        if (conditions.TryGetValue(key, out var existing) && !JsonElement.DeepEquals(existing, condition))
        {
            throw new MemoryValidationException($"filters.{key}", $"filters.{key} is given two different values.");
        }

        conditions[key] = condition;
    }

    private static JsonElement ReadOperator(string key, JsonElement value)
    {
        JsonElement? result = null;
        foreach (var property in value.EnumerateObject())
        {
            if (result is not null)
            {
                throw new MemoryValidationException($"filters.{key}", $"filters.{key} may hold one operator.");
            }

            result = property.Name switch
            {
                "eq" => property.Value,
                "in" when property.Value.ValueKind == JsonValueKind.Array => property.Value,
                "in" => throw new MemoryValidationException($"filters.{key}.in", $"filters.{key}.in must be an array."),
                _ => throw new MemoryValidationException($"filters.{key}.{property.Name}",
                    $"Operator '{property.Name}' is not supported in filters; use a value, an array (any of), {{\"eq\": v}} or {{\"in\": [...]}}."),
            };
        }

        return result ?? throw new MemoryValidationException($"filters.{key}", $"filters.{key} is an empty object.");
    }
}
