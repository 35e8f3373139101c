namespace Memory.Conversations.Extraction;

/// <summary>
/// One fact the model found, grounded: relative dates replaced by absolute ones (<see cref="Dates"/> says which),
/// attributed to the messages it came from, dated by the latest of them. A forget request names what the user
/// asked to forget and is never stored as a memory.
/// </summary>
public sealed record ExtractedFact(
    string Text,
    IReadOnlyList<LabelledMessage> Sources,
    bool IsForgetRequest,
    DateTimeOffset SaidAt,
    IReadOnlyList<DateReference> Dates)
{
    public IReadOnlyList<string> SourceMessageIds => [.. Sources.Select(s => s.Id).Distinct(StringComparer.Ordinal)];
}
