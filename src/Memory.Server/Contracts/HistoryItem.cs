using Memory.Conversations.Model;

namespace Memory.Server.Contracts;

/// <summary>One row of a memory's history, in Mem0's shape plus the source message ids of the change.</summary>
internal sealed record HistoryItem(
    string Id,
    string MemoryId,
    string? OldMemory,
    string? NewMemory,
    MemoryEvent Event,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt,
    bool IsDeleted,
    string? ActorId,
    string? Role,
    IReadOnlyList<string> SourceMessageIds)
{
    public static HistoryItem From(MemoryHistoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new HistoryItem(entry.Id, entry.MemoryId, entry.OldMemory, entry.NewMemory, entry.Event, entry.CreatedAt,
            null, entry.IsDeleted, entry.Actor, entry.Role, entry.SourceMessageIds);
    }
}
