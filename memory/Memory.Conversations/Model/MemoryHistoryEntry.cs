namespace Memory.Conversations.Model;

/// <summary>One change to a memory, kept forever in the history table.</summary>
public sealed record MemoryHistoryEntry
{
    public required string Id { get; init; }
    public required string MemoryId { get; init; }
    public string? OldMemory { get; init; }
    public string? NewMemory { get; init; }
    public required MemoryEvent Event { get; init; }

    /// <summary>Who made the change: "api", "extraction", a user id...</summary>
    public string? Actor { get; init; }
    public string? Role { get; init; }
    public IReadOnlyList<string> SourceMessageIds { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    public bool IsDeleted { get; init; }
}
