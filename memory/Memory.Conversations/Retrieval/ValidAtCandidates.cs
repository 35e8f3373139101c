using Memory.Conversations.Embeddings;
using Memory.Conversations.Model;

namespace Memory.Conversations.Retrieval;

/// <summary>
/// Fusion candidates for an as-of search. The stores' indexes hold only currently valid memories, so a search
/// at a past instant ranks the memories valid then exhaustively: exact cosine for the vector list and the
/// share of the query's content terms a memory holds for the text list.
/// </summary>
public static class ValidAtCandidates
{
    /// <summary>At most this many memories valid at the instant are ranked.</summary>
    public const int MaxMemories = 10_000;

    public static IReadOnlyList<FusionCandidate> Build(IReadOnlyList<MemoryRecord> valid, string query, ReadOnlySpan<float> queryVector)
    {
        ArgumentNullException.ThrowIfNull(valid);
        var terms = WordAnalyzer.ContentTerms(query).ToHashSet(StringComparer.Ordinal);
        var queryWords = WordAnalyzer.Words(query).ToHashSet(StringComparer.Ordinal);
        var dates = QueryDates.Find(query);
        var scored = new List<(MemoryRecord Memory, double Cosine, double Text)>(valid.Count);
        foreach (var memory in valid)
        {
            var memoryTerms = WordAnalyzer.ContentTerms(memory.Text).ToHashSet(StringComparer.Ordinal);
            var overlap = terms.Count == 0 ? 0 : (double)terms.Count(memoryTerms.Contains) / terms.Count;
            scored.Add((memory, HybridRetriever.Cosine(queryVector, memory.Embedding.Span), overlap));
        }

        var vectorRank = scored.OrderByDescending(s => s.Cosine).Select((s, i) => (s.Memory.Id, Rank: i + 1)).ToDictionary(p => p.Id, p => p.Rank, StringComparer.Ordinal);
        var textRank = scored.Where(s => s.Text > 0).OrderByDescending(s => s.Text).Select((s, i) => (s.Memory.Id, Rank: i + 1))
            .ToDictionary(p => p.Id, p => p.Rank, StringComparer.Ordinal);
        return [.. scored.Select(s => new FusionCandidate(
            s.Memory,
            s.Cosine,
            vectorRank[s.Memory.Id],
            s.Text > 0 ? s.Text : null,
            textRank.TryGetValue(s.Memory.Id, out var rank) ? rank : null,
            SpeakerMatch.Score(queryWords, s.Memory.Role),
            dates.Count == 0 ? 0 : dates.Max(d => d.Match(s.Memory.CreatedAt))))];
    }
}
