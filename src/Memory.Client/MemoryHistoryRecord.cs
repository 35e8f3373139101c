namespace Memory.Client;

/// <summary>One change in a memory's history (kept after the memory is deleted).</summary>
public sealed record MemoryHistoryRecord
{
    public required string Id { get; init; }

    public required string MemoryId { get; init; }

    public string? OldMemory { get; init; }

    public string? NewMemory { get; init; }

    public required MemoryChangeEvent Event { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public bool IsDeleted { get; init; }

    /// <summary>Who made the change: "api", "extraction", ...</summary>
    public string? ActorId { get; init; }

    public string? Role { get; init; }

    public IReadOnlyList<string> SourceMessageIds { get; init; } = [];
}
