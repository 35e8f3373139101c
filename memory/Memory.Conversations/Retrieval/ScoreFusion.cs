using Memory.Conversations.Model;

namespace Memory.Conversations.Retrieval;

/// <summary>The fusion maths: every method yields a score in [0, 1], higher is better, ties broken by recency then id.</summary>
public static class ScoreFusion
{
    public static IReadOnlyList<ScoredMemory> Fuse(
        IReadOnlyList<FusionCandidate> candidates, RetrievalOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        var scored = options.Fusion switch
        {
            FusionMethod.ReciprocalRank => ReciprocalRank(candidates, options),
            FusionMethod.NormalizedSum => NormalizedSum(candidates, options, now),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Fusion, "Unknown fusion method."),
        };

        return scored
            .OrderByDescending(s => s.Score)
            .ThenByDescending(s => s.Memory.CreatedAt)
            .ThenBy(s => s.Memory.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Σ w / (k + rank) over the vector list, the text list and a recency list (candidates newest first),
    /// divided by Σ w / (k + 1): a memory first in every list scores exactly 1.
    /// </summary>
    public static IReadOnlyList<ScoredMemory> ReciprocalRank(IReadOnlyList<FusionCandidate> candidates, RetrievalOptions options)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        var k = options.ReciprocalRankK;
        var (speakerWeight, dateWeight) = HintWeights(candidates, options);
        var best = (options.VectorWeight + options.TextWeight + options.RecencyWeight + speakerWeight + dateWeight) / (k + 1);
        var recencyRank = RecencyRanks(candidates);
        var result = new List<ScoredMemory>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var sum = 0.0;
            if (candidate.VectorRank is { } vectorRank)
            {
                sum += options.VectorWeight / (k + vectorRank);
            }

            if (candidate.TextRank is { } textRank)
            {
                sum += options.TextWeight / (k + textRank);
            }

            if (options.RecencyWeight > 0)
            {
                sum += options.RecencyWeight / (k + recencyRank[candidate.Memory.Id]);
            }

            sum += ((speakerWeight * candidate.SpeakerMatch) + (dateWeight * candidate.DateMatch)) / (k + 1);

            result.Add(new ScoredMemory(candidate.Memory, Math.Clamp(sum / best, 0, 1)));
        }

        return result;
    }

    /// <summary>
    /// (wv · max(0, cosine) + wt · text / best text + wr · 2^(−age / half-life) + ws · speaker + wd · date) / Σ w. The text
    /// score is relative to the best text match among the candidates, since stores rank on their own scales.
    /// </summary>
    public static IReadOnlyList<ScoredMemory> NormalizedSum(
        IReadOnlyList<FusionCandidate> candidates, RetrievalOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        var (speakerWeight, dateWeight) = HintWeights(candidates, options);
        var totalWeight = options.VectorWeight + options.TextWeight + options.RecencyWeight + speakerWeight + dateWeight;
        var bestText = candidates.Count == 0 ? 0 : candidates.Max(c => c.TextScore is { } s && s > 0 ? s : 0);
        var result = new List<ScoredMemory>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var vector = Math.Clamp(candidate.VectorSimilarity, 0, 1);
            var text = bestText > 0 && candidate.TextScore is > 0 ? candidate.TextScore.Value / bestText : 0;
            var recency = options.RecencyWeight > 0 ? Recency(candidate.Memory, now, options.RecencyHalfLifeDays) : 0;
            var sum = (options.VectorWeight * vector) + (options.TextWeight * text) + (options.RecencyWeight * recency)
                + (speakerWeight * candidate.SpeakerMatch) + (dateWeight * candidate.DateMatch);
            result.Add(new ScoredMemory(candidate.Memory, Math.Clamp(sum / totalWeight, 0, 1)));
        }

        return result;
    }

    /// <summary>2^(−age / half-life) of the memory's last change; a memory dated in the future counts as new.</summary>
    public static double Recency(MemoryRecord memory, DateTimeOffset now, double halfLifeDays)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var changed = memory.UpdatedAt ?? memory.CreatedAt;
        var ageDays = Math.Max(0, (now - changed).TotalDays);
        return Math.Pow(2, -ageDays / halfLifeDays);
    }

    /// <summary>
    /// The speaker and date weights, each only when some candidate carries that hint: a query without a name
    /// or a date is scored on the same scale as before, so thresholds keep their meaning.
    /// </summary>
    private static (double Speaker, double Date) HintWeights(IReadOnlyList<FusionCandidate> candidates, RetrievalOptions options) =>
        (candidates.Any(c => c.SpeakerMatch > 0) ? options.SpeakerWeight : 0,
         candidates.Any(c => c.DateMatch > 0) ? options.DateWeight : 0);

    private static Dictionary<string, int> RecencyRanks(IReadOnlyList<FusionCandidate> candidates)
    {
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var rank = 0;
        foreach (var candidate in candidates
            .OrderByDescending(c => c.Memory.UpdatedAt ?? c.Memory.CreatedAt)
            .ThenBy(c => c.Memory.Id, StringComparer.Ordinal))
        {
            ranks.TryAdd(candidate.Memory.Id, ++rank);
        }

        return ranks;
    }
}
