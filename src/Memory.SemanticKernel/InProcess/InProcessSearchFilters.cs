using System.Text.Json;
using System.Text.Json.Nodes;
using Memory.Conversations.Errors;
using Memory.Conversations.Model;

namespace Memory.SemanticKernel.InProcess;

/// <summary>
/// Reads a search request's <c>filters</c> the way the REST server does: scope ids inside filters join the scope,
/// other keys become metadata equality (value, array = any of, <c>{"eq": v}</c>, <c>{"in": [..]}</c>, <c>AND</c>);
/// OR, NOT and range operators are refused by name rather than silently matching nothing.
/// </summary>
internal static class InProcessSearchFilters
{
    private static readonly string[] ScopeKeys = ["user_id", "agent_id", "run_id"];

    public static (MemoryScope Scope, MetadataFilter Filter) Read(string? userId, string? agentId, string? runId, JsonObject? filters)
    {
        var scope = MemoryScope.From(userId, agentId, runId);
        if (filters is null || filters.Count == 0)
        {
            return (scope, MetadataFilter.None);
        }

        using var document = JsonDocument.Parse(filters.ToJsonString());
        var conditions = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            Collect(property.Name, property.Value.Clone(), conditions);
        }

        var ids = new Dictionary<string, string?> { ["user_id"] = scope.UserId, ["agent_id"] = scope.AgentId, ["run_id"] = scope.RunId };
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
            if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(part => part.ValueKind != JsonValueKind.Object))
            {
                throw new MemoryValidationException("filters.AND", "filters.AND must be an array of filter objects.");
            }

            foreach (var property in value.EnumerateArray().SelectMany(part => part.EnumerateObject()))
            {
                Collect(property.Name, property.Value, conditions);
            }

            return;
        }

        if (key is "OR" or "NOT")
        {
            throw new MemoryValidationException($"filters.{key}", $"filters.{key} is not supported; combine conditions with AND or plain keys.");
        }

        var condition = value.ValueKind == JsonValueKind.Object ? ReadOperator(key, value) : value;
        if (conditions.TryGetValue(key, out var existing) && !JsonElement.DeepEquals(existing, condition))
        {
            throw new MemoryValidationException($"filters.{key}", $"filters.{key} is given two different values.");
        }

        conditions[key] = condition;
    }

    private static JsonElement ReadOperator(string key, JsonElement value)
    {
        var operators = value.EnumerateObject().ToList();
        if (operators.Count != 1)
        {
            throw new MemoryValidationException($"filters.{key}", $"filters.{key} must hold exactly one operator.");
        }

        var (name, operand) = (operators[0].Name, operators[0].Value);
        return name switch
        {
            "eq" => operand,
            "in" when operand.ValueKind == JsonValueKind.Array => operand,
            "in" => throw new MemoryValidationException($"filters.{key}.in", $"filters.{key}.in must be an array."),
            _ => throw new MemoryValidationException($"filters.{key}.{name}",
                $"Operator '{name}' is not supported in filters; use a value, an array (any of), {{\"eq\": v}} or {{\"in\": [...]}}."),
        };
    }
}
