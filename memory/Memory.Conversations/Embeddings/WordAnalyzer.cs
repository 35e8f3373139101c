using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Memory.Conversations.Embeddings;

/// <summary>
/// Splits text into lower-case words and light-stemmed content terms for the hashing embedder. The stemmer
/// is deliberately small (plural, -ed, -ing, -ly, final e): it merges the inflections that matter for
/// matching a question to a conversation turn and leaves the rest alone.
/// </summary>
public static class WordAnalyzer
{
    private static readonly FrozenSet<string> StopWords = new[]
    {
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
        "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has",
        "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if",
        "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
        "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
        "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
        "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
        "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves",
        "s", "t", "d", "ll", "m", "re", "ve", "also", "yeah", "oh", "wow", "hey", "hi", "really", "much",
        "get", "got", "like", "well", "thing", "things", "lot", "lots", "kind", "sure", "let", "us",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly SearchValues<char> Vowels = SearchValues.Create("aeiouy");

    /// <summary>Lower-case words (letters and digits), in order; apostrophes split words ("Caroline's" gives "caroline", "s").</summary>
    public static List<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLower(c, CultureInfo.InvariantCulture));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    public static bool IsStopWord(string word) => StopWords.Contains(word);

    /// <summary>Stemmed words that are not stop words, in order.</summary>
    public static List<string> ContentTerms(string text)
    {
        var terms = new List<string>();
        foreach (var word in Words(text))
        {
            if (!IsStopWord(word))
            {
                terms.Add(Stem(word));
            }
        }

        return terms;
    }

    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length <= 3 || !char.IsLetter(word[^1]))
        {
            return word;
        }

        var stem = word;
        if (stem.EndsWith("ies", StringComparison.Ordinal) && stem.Length > 4)
        {
            stem = stem[..^3] + "y";
        }
        else if (stem.EndsWith("sses", StringComparison.Ordinal))
        {
            stem = stem[..^2];
        }
        else if (stem.EndsWith('s') && !stem.EndsWith("ss", StringComparison.Ordinal)
            && !stem.EndsWith("us", StringComparison.Ordinal) && !stem.EndsWith("is", StringComparison.Ordinal))
        {
            stem = stem[..^1];
        }

        if (stem.EndsWith("ing", StringComparison.Ordinal) && stem.Length > 5 && HasVowel(stem.AsSpan(0, stem.Length - 3)))
        {
            stem = Undouble(stem[..^3]);
        }
        else if (stem.EndsWith("ed", StringComparison.Ordinal) && stem.Length > 4 && HasVowel(stem.AsSpan(0, stem.Length - 2)))
        {
            stem = Undouble(stem[..^2]);
        }
        else if (stem.EndsWith("ly", StringComparison.Ordinal) && stem.Length > 5)
        {
            stem = stem[..^2];
        }

        if (stem.EndsWith('e') && stem.Length > 3)
        {
            stem = stem[..^1];
        }

        return stem;
    }

    private static bool HasVowel(ReadOnlySpan<char> text) => text.IndexOfAny(Vowels) >= 0;

    // "running" -> "runn" -> "run"; "falling" keeps its "ll" because l, s and z doubles are part of the word.
    private static string Undouble(string stem) =>
        stem.Length >= 3 && stem[^1] == stem[^2] && "bdfgmnprt".Contains(stem[^1], StringComparison.Ordinal)
            ? stem[..^1]
            : stem;
}
