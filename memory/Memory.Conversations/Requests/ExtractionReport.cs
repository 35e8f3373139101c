namespace Memory.Conversations.Requests;

/// <summary>
/// How an infer=true add went. <see cref="Status"/>: "succeeded"; "failed" (the model's output stayed unusable,
/// so the messages were stored verbatim with metadata <c>extraction: failed</c>); or "unconsolidated" (facts were
/// extracted but the consolidation answer stayed unusable, so every fact was added without comparing it to
/// existing memories). <see cref="Error"/> says why for the last two.
/// </summary>
public sealed record ExtractionReport(
    string Status,
    int Facts,
    string? Error = null,
    string? Model = null,
    string? PromptVersion = null)
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Unconsolidated = "unconsolidated";
}
