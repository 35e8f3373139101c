namespace Memory.Conversations.Retrieval;

/// <summary>How the vector, text and recency signals become one score.</summary>
public enum FusionMethod
{
    /// <summary>Weighted sum of the signals, each first brought into [0, 1] (cosine clamped, text rank over the best, recency decay).</summary>
    NormalizedSum,

    /// <summary>Weighted reciprocal-rank fusion, divided by its largest possible value so it lies in [0, 1].</summary>
    ReciprocalRank,
}
