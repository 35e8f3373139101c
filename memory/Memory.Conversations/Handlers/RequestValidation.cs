using Memory.Conversations.Errors;
using Memory.Conversations.Model;

namespace Memory.Conversations.Handlers;

/// <summary>The checks every handler makes before touching the store; each names the snake_case field at fault.</summary>
internal static class RequestValidation
{
    public const int MaxTopK = 1_000;
    public const int MaxIdLength = 256;

    public static void Tenant(string? tenant)
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            throw new MemoryValidationException("tenant", "A tenant is required.");
        }
    }

    public static void Scope(MemoryScope? scope)
    {
        if (scope is null || scope.IsEmpty)
        {
            throw new MemoryValidationException("user_id", "At least one of user_id, agent_id or run_id is required.");
        }

        ScopeId(scope.UserId, "user_id");
        ScopeId(scope.AgentId, "agent_id");
        ScopeId(scope.RunId, "run_id");
    }

    public static void MemoryId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new MemoryValidationException("memory_id", "A memory id is required.");
        }

        if (id.Length > MaxIdLength)
        {
            throw new MemoryValidationException("memory_id", $"A memory id is at most {MaxIdLength} characters.");
        }
    }

    public static void Text(string? text, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new MemoryValidationException(field, $"{field} must not be empty.");
        }

        if (text.Length > maxLength)
        {
            throw new MemoryValidationException(field, $"{field} is {text.Length} characters; the limit is {maxLength}.");
        }
    }

    public static void TopK(int topK)
    {
        if (topK is < 1 or > MaxTopK)
        {
            throw new MemoryValidationException("top_k", $"top_k must be between 1 and {MaxTopK}; it was {topK}.");
        }
    }

    public static void Threshold(double? threshold)
    {
        if (threshold is { } t && (!double.IsFinite(t) || t < 0 || t > 1))
        {
            throw new MemoryValidationException("threshold", $"threshold must be between 0 and 1; it was {t}.");
        }
    }

    public static void Limit(int limit, int max)
    {
        if (limit < 1 || limit > max)
        {
            throw new MemoryValidationException("limit", $"limit must be between 1 and {max}; it was {limit}.");
        }
    }

    public static void Filter(MetadataFilter? filter)
    {
        if (filter is null)
        {
            throw new MemoryValidationException("filters", "filters must not be null; send an empty object for none.");
        }
    }

    private static void ScopeId(string? id, string field)
    {
        if (id is not null && id.Length > MemoryScope.MaxIdLength)
        {
            throw new MemoryValidationException(field, $"{field} is at most {MemoryScope.MaxIdLength} characters.");
        }
    }
}
