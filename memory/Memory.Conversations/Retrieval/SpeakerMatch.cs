using Memory.Conversations.Embeddings;

namespace Memory.Conversations.Retrieval;

/// <summary>
/// Whether a query names the speaker a memory came from (its role, when the role is a name): "What did
/// Melanie paint?" should prefer what Melanie said over what others said to her. A query word of three or
/// more letters that starts the name counts too ("Mel" for Melanie).
/// </summary>
public static class SpeakerMatch
{
    private static readonly HashSet<string> GenericRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "user", "assistant", "system", "tool", "function", "developer",
    };

    public static double Score(IReadOnlySet<string> queryWords, string? role)
    {
        ArgumentNullException.ThrowIfNull(queryWords);
        if (string.IsNullOrWhiteSpace(role) || GenericRoles.Contains(role.Trim()))
        {
            return 0;
        }

        var names = WordAnalyzer.Words(role);
        if (names.Count == 0 || names[0].Length < 2)
        {
            return 0;
        }

        var first = names[0];
        if (queryWords.Contains(first))
        {
            return 1;
        }

        foreach (var word in queryWords)
        {
            if (word.Length >= 3 && first.Length > word.Length && first.StartsWith(word, StringComparison.Ordinal) && char.IsLetter(word[0]))
            {
                return 1;
            }
        }

        return 0;
    }
}
