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
    public int MinCandidates { get; set; } = 50;

    [Range(0.0, 100.0)]
    public double VectorWeight { get; set; } = 0.6;

    [Range(0.0, 100.0)]
    public double TextWeight { get; set; } = 0.4;

    [Range(0.0, 100.0)]
    public double RecencyWeight { get; set; }

    /// <summary>Weight of "the query names this memory's speaker"; counted only for queries that name one.</summary>
    [Range(0.0, 100.0)]
    public double SpeakerWeight { get; set; } = 0.1;

    /// <summary>Weight of "the memory's time fits a date the query names"; counted only for queries that name one.</summary>
    [Range(0.0, 100.0)]
    public double DateWeight { get; set; } = 0.1;

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
