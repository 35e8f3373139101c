namespace Memory.Conversations.Ingestion;

/// <summary>
/// The text that is embedded for a verbatim message: the message itself, prefixed by its role when the role
/// carries meaning (a speaker's name). Generic chat roles add nothing a search could use, so they are left out.
/// </summary>
public static class MemoryIndexText
{
    private static readonly HashSet<string> GenericRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "user", "assistant", "system", "tool", "function", "developer",
    };

    public static string For(string? role, string text, bool includeRole)
    {
        ArgumentNullException.ThrowIfNull(text);
        return includeRole && !string.IsNullOrWhiteSpace(role) && !GenericRoles.Contains(role.Trim())
            ? $"{role.Trim()}: {text}"
            : text;
    }
}
