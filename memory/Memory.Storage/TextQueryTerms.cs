using System.Globalization;
using System.Text;

namespace Memory.Storage;

/// <summary>
/// Turns any user text into the plain words of a text query. Only runs of letters, digits and combining
/// marks survive, so no query syntax (FTS5 operators, tsquery operators, quotes, parentheses) ever reaches
/// the database; the stores join the words with OR, so a memory matching any word is found and ranked.
/// Common English function words are dropped: they would match nearly every memory and only slow the ranking.
/// </summary>
internal static class TextQueryTerms
{
    public const int MaxTerms = 32;

    /// <summary>Longer "words" are noise (hashes, base64) and PostgreSQL refuses lexemes over 2 KB.</summary>
    public const int MaxTermLength = 64;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
        "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
        "will", "with", "i", "me", "my", "we", "our", "you", "your", "he", "him", "his", "she", "her", "its", "do",
        "does", "did", "what", "which", "who", "whom", "when", "where", "how", "am", "been", "being", "have", "has",
        "had", "so", "than", "too", "very", "can", "about", "from", "up", "down", "out", "over", "any", "all",
    };

    public static IReadOnlyList<string> Extract(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return [];
        }

        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        var enumerator = StringInfo.GetTextElementEnumerator(query);
        while (enumerator.MoveNext())
        {
            var element = enumerator.GetTextElement();
            if (IsWordRune(Rune.GetRuneAt(element, 0)))
            {
                // Extending characters of a cluster (ZWJ, emoji modifiers) are dropped: only letters, marks and digits pass.
                foreach (var rune in element.EnumerateRunes())
                {
                    if (IsWordRune(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
                    {
                        word.Append(rune.ToString());
                    }
                }

                continue;
            }

            if (Flush(word, terms, seen))
            {
                return terms;
            }
        }

        Flush(word, terms, seen);
        return terms;
    }

    private static bool IsWordRune(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber;
    }

    /// <returns>True when the term budget is used up.</returns>
    private static bool Flush(StringBuilder word, List<string> terms, HashSet<string> seen)
    {
        if (word.Length == 0)
        {
            return false;
        }

        var term = word.ToString().ToLowerInvariant();
        word.Clear();
        if (term.Length > MaxTermLength || StopWords.Contains(term) || !seen.Add(term))
        {
            return false;
        }

        terms.Add(term);
        return terms.Count >= MaxTerms;
    }
}
