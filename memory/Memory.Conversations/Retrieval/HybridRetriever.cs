using Memory.Conversations.Embeddings;
using Memory.Conversations.Model;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Retrieval;

/// <summary>
/// Hybrid search: asks the store for vector neighbours and text matches (a few times top_k each), computes
/// the exact cosine of every candidate, fuses vector, text and recency into one score in [0, 1], drops
/// results under the threshold (Mem0's semantics: null keeps everything) and returns the best top_k.
/// </summary>
public sealed class HybridRetriever
{
    private readonly IMemoryStore _store;
    private readonly MemoryEmbedder _embedder;
    private readonly IOptionsMonitor<RetrievalOptions> _options;
    private readonly TimeProvider _clock;

    public HybridRetriever(IMemoryStore store, MemoryEmbedder embedder, IOptionsMonitor<RetrievalOptions> options, TimeProvider clock)
    {
        _store = store;
        _embedder = embedder;
        _options = options;
        _clock = clock;
    }

    public async Task<IReadOnlyList<ScoredMemory>> SearchAsync(
        string tenant, MemoryScope scope, string query, MetadataFilter filter, int topK, double? threshold,
        CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        var queryVector = await _embedder.EmbedAsync(query, cancellationToken);
        var candidates = await CandidatesAsync(tenant, scope, query, queryVector, filter, topK, options, cancellationToken);
        if (candidates.Count == 0)
        {
            return [];
        }

        var now = _clock.GetUtcNow();
        var fused = ScoreFusion.Fuse(candidates, options, now);
        if (options.FeedbackWeight > 0 && fused.Count > options.FeedbackMemories)
        {
            fused = ScoreFusion.Fuse(WithFeedback(candidates, fused, queryVector.Span, options), options, now);
        }

        return fused
            .Where(s => threshold is null || s.Score >= threshold.Value)
            .Take(topK)
            .ToList();
    }

    /// <summary>
    /// The same ranking over the memories that were valid at <paramref name="asOf"/> (including ones invalidated
    /// since), scored exhaustively (<see cref="ValidAtCandidates"/>); recency is measured from that instant.
    /// </summary>
    public async Task<IReadOnlyList<ScoredMemory>> SearchValidAtAsync(
        string tenant, MemoryScope scope, string query, MetadataFilter filter, int topK, double? threshold, DateTimeOffset asOf,
        CancellationToken cancellationToken)
    {
        var valid = await _store.ListValidAtAsync(tenant, scope, filter, asOf, ValidAtCandidates.MaxMemories, cancellationToken);
        if (valid.Count == 0)
        {
            return [];
        }

        var queryVector = await _embedder.EmbedAsync(query, cancellationToken);
        var candidates = ValidAtCandidates.Build(valid, query, queryVector.Span);
        return ScoreFusion.Fuse(candidates, _options.CurrentValue, asOf)
            .Where(s => threshold is null || s.Score >= threshold.Value)
            .Take(topK)
            .ToList();
    }

    /// <summary>The union of both store searches, each memory once, with its ranks and exact cosine.</summary>
    public async Task<IReadOnlyList<FusionCandidate>> CandidatesAsync(
        string tenant, MemoryScope scope, string query, ReadOnlyMemory<float> queryVector, MetadataFilter filter, int topK,
        RetrievalOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var limit = (int)Math.Min(10_000, Math.Max((long)topK * options.CandidateMultiplier, options.MinCandidates));

        // The two searches are independent: the text search runs on another thread while this one runs the vector
        // search (a store whose async calls complete synchronously, like SQLite's, would otherwise run them in turn).
        var textSearch = Task.Run(() => _store.SearchByTextAsync(tenant, scope, query, filter, limit, cancellationToken), cancellationToken);
        var vectorSearch = _store.SearchByVectorAsync(tenant, scope, queryVector, filter, limit, cancellationToken);
        await Task.WhenAll(vectorSearch, textSearch);
        var byVector = await vectorSearch;
        var byText = await textSearch;

        var vectorRanks = new Dictionary<string, (int Rank, MemoryRecord Memory)>(StringComparer.Ordinal);
        for (var i = 0; i < byVector.Count; i++)
        {
            vectorRanks.TryAdd(byVector[i].Memory.Id, (i + 1, byVector[i].Memory));
        }

        var textRanks = new Dictionary<string, (int Rank, double Score, MemoryRecord Memory)>(StringComparer.Ordinal);
        for (var i = 0; i < byText.Count; i++)
        {
            textRanks.TryAdd(byText[i].Memory.Id, (i + 1, byText[i].Score, byText[i].Memory));
        }

        var queryWords = WordAnalyzer.Words(query).ToHashSet(StringComparer.Ordinal);
        var dates = QueryDates.Find(query);
        var candidates = new List<FusionCandidate>(vectorRanks.Count + textRanks.Count);
        foreach (var id in vectorRanks.Keys.Concat(textRanks.Keys).Distinct(StringComparer.Ordinal))
        {
            var inVector = vectorRanks.TryGetValue(id, out var v);
            var inText = textRanks.TryGetValue(id, out var t);
            var memory = inVector ? v.Memory : t.Memory;
            candidates.Add(new FusionCandidate(
                memory,
                Cosine(queryVector.Span, memory.Embedding.Span),
                inVector ? v.Rank : null,
                inText ? t.Score : null,
                inText ? t.Rank : null,
                SpeakerMatch.Score(queryWords, memory.Role),
                dates.Count == 0 ? 0 : dates.Max(d => d.Match(memory.CreatedAt))));
        }

        return candidates;
    }

    /// <summary>
    /// Pseudo-relevance feedback inside the candidate set: the query vector is moved toward the mean of the
    /// best few fused results and every candidate's similarity is measured again; no extra store call.
    /// </summary>
    private static List<FusionCandidate> WithFeedback(
        IReadOnlyList<FusionCandidate> candidates, IReadOnlyList<ScoredMemory> fused, ReadOnlySpan<float> query, RetrievalOptions options)
    {
        var moved = new float[query.Length];
        query.CopyTo(moved);
        var scale = (float)(options.FeedbackWeight / options.FeedbackMemories);
        foreach (var top in fused.Take(options.FeedbackMemories))
        {
            var embedding = top.Memory.Embedding.Span;
            if (embedding.Length != moved.Length)
            {
                continue;
            }

            for (var i = 0; i < moved.Length; i++)
            {
                moved[i] += scale * embedding[i];
            }
        }

        return candidates.Select(c => c with { VectorSimilarity = Cosine(moved, c.Memory.Embedding.Span) }).ToList();
    }

    /// <summary>Cosine of two vectors; 0 when their lengths differ (a memory embedded by another model) or one is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            return 0;
        }

        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
        }

        return normA == 0 || normB == 0 ? 0 : dot / Math.Sqrt(normA * normB);
    }
}
