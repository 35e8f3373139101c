using System.ComponentModel.DataAnnotations;

namespace Memory.Conversations.Retrieval;

/// <summary>Hybrid search settings (section "Retrieval"). The defaults are the ones measured best on LoCoMo (docs/benchmarks.md).</summary>
public sealed class RetrievalOptions : IValidatableObject
{
    public const string SectionName = "Retrieval";

    public FusionMethod Fusion { get; set; } = FusionMethod.NormalizedSum;

    /// <summary>Each store search asks for top_k times this many candidates.</summary>
    [Range(1, 100)]
    public int CandidateMultiplier { get; set; } = 4;

    /// <summary>Each store search asks for at least this many candidates, so a small top_k still fuses well.</summary>
    [Range(1, 10_000)]
    public int MinCandidates { get; set; } = 100;

    [Range(0.0, 100.0)]
    public double VectorWeight { get; set; } = 0.6;

    [Range(0.0, 100.0)]
    public double TextWeight { get; set; } = 0.4;

    [Range(0.0, 100.0)]
    public double RecencyWeight { get; set; }

    /// <summary>Weight of "the query names this memory's speaker"; counted only for queries that name one.</summary>
    [Range(0.0, 100.0)]
    public double SpeakerWeight { get; set; } = 0.3;

    /// <summary>Weight of "the memory's time fits a date the query names"; counted only for queries that name one.</summary>
    [Range(0.0, 100.0)]
    public double DateWeight { get; set; } = 0.3;

    /// <summary>Pseudo-relevance feedback: how far the query vector moves toward the best first-pass results (0 = off).</summary>
    [Range(0.0, 10.0)]
    public double FeedbackWeight { get; set; } = 0.6;

    /// <summary>How many first-pass results the feedback uses.</summary>
    [Range(1, 100)]
    public int FeedbackMemories { get; set; } = 3;

    /// <summary>Age at which the recency signal has halved.</summary>
    [Range(0.001, 100_000.0)]
    public double RecencyHalfLifeDays { get; set; } = 30;

    /// <summary>The k of reciprocal-rank fusion (1 / (k + rank)).</summary>
    [Range(0.0, 10_000.0)]
    public double ReciprocalRankK { get; set; } = 60;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (VectorWeight + TextWeight + RecencyWeight <= 0)
        {
            yield return new ValidationResult("Retrieval weights must not all be zero.", [nameof(VectorWeight), nameof(TextWeight), nameof(RecencyWeight)]);
        }
    }
}
