namespace Memory.Conversations.Extraction;

/// <summary>The facts of one extraction call, or why none could be read from the model's answer.</summary>
public sealed record FactExtraction(IReadOnlyList<ExtractedFact> Facts, string? Error)
{
    public bool Succeeded => Error is null;
}
