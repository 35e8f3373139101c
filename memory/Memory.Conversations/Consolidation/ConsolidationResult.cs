namespace Memory.Conversations.Consolidation;

/// <summary>One decision per fact, in the facts' order, or why the model's answer could not be used.</summary>
public sealed record ConsolidationResult(IReadOnlyList<FactDecision> Decisions, string? Error)
{
    public bool Succeeded => Error is null;
}
