namespace Memory.Client;

/// <summary>What <c>POST /memories</c> did, one entry per memory touched (Mem0's <c>results</c>).</summary>
public sealed record AddMemoriesResponse
{
    public IReadOnlyList<MemoryChange> Results { get; init; } = [];

    /// <summary>For infer=true: how the extraction went (null for infer=false).</summary>
    public ExtractionOutcome? Extraction { get; init; }
}
