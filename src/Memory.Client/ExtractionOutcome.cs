namespace Memory.Client;

/// <summary>
/// How an infer=true add went. <see cref="Status"/>: "succeeded"; "failed" (the model's output stayed unusable, so
/// the messages were stored verbatim with metadata <c>extraction: failed</c>: nothing was lost); or "unconsolidated"
/// (facts were added without comparing them to existing memories). <see cref="Error"/> says why for the last two.
/// </summary>
public sealed record ExtractionOutcome
{
    public const string Succeeded = "succeeded";
    public const string FailedStatus = "failed";
    public const string Unconsolidated = "unconsolidated";

    public required string Status { get; init; }

    /// <summary>How many facts the model extracted.</summary>
    public int Facts { get; init; }

    public string? Error { get; init; }

    public string? Model { get; init; }

    public string? PromptVersion { get; init; }

    /// <summary>True when extraction failed and the messages were kept verbatim instead.</summary>
    public bool Failed => string.Equals(Status, FailedStatus, StringComparison.Ordinal);
}
