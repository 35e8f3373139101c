namespace Memory.Storage.Text;

/// <summary>One text as the text index stores it: its distinct terms with their counts, and its length in tokens.</summary>
internal sealed class IndexedText
{
    private IndexedText(string[] terms, int[] frequencies, int length)
    {
        Terms = terms;
        Frequencies = frequencies;
        Length = length;
    }

    public string[] Terms { get; }

    /// <summary>How often each of <see cref="Terms"/> occurs, index for index.</summary>
    public int[] Frequencies { get; }

    /// <summary>All tokens, repeats included: BM25's document length.</summary>
    public int Length { get; }

    public static IndexedText Of(string text)
    {
        var tokens = TextTokenizer.Tokens(text);
        if (tokens.Count == 0)
        {
            return new IndexedText([], [], 0);
        }

        tokens.Sort(StringComparer.Ordinal);
        var terms = new List<string>(tokens.Count);
        var frequencies = new List<int>(tokens.Count);
        foreach (var token in tokens)
        {
            if (terms.Count > 0 && string.Equals(terms[^1], token, StringComparison.Ordinal))
            {
                frequencies[^1]++;
            }
            else
            {
                terms.Add(token);
                frequencies.Add(1);
            }
        }

        return new IndexedText(terms.ToArray(), frequencies.ToArray(), tokens.Count);
    }

    /// <summary>
    /// The query terms of already extracted query words (<see cref="TextQueryTerms"/>), each word tokenized as a
    /// document would be; a word that stems like another counts twice, as its FTS5 phrase did.
    /// </summary>
    public static List<string> QueryTerms(IReadOnlyList<string> words)
    {
        var terms = new List<string>(words.Count);
        foreach (var word in words)
        {
            terms.AddRange(TextTokenizer.Tokens(word));
        }

        return terms;
    }
}
