using Memory.Conversations.Model;

namespace Memory.Conversations.Storage;

/// <summary>
/// One change of a batch that <see cref="IMemoryStore.ApplyAsync"/> applies atomically. <see cref="Event"/> says
/// which fields matter: Add needs <see cref="Memory"/>; Update needs <see cref="Update"/>; Invalidate needs
/// <see cref="InvalidAt"/> (and names the memory that replaces it in <see cref="SupersededBy"/>); Delete and None
/// need only <see cref="Id"/>. Every operation writes one history row carrying <see cref="SourceMessageIds"/>.
/// </summary>
public sealed record MemoryOperation
{
    private MemoryOperation(MemoryEvent memoryEvent, string id, IReadOnlyList<string> sourceMessageIds)
    {
        Event = memoryEvent;
        Id = id;
        SourceMessageIds = sourceMessageIds;
    }

    public MemoryEvent Event { get; }

    /// <summary>The memory the operation writes or touches.</summary>
    public string Id { get; }

    public MemoryRecord? Memory { get; private init; }

    public MemoryUpdate? Update { get; private init; }

    public DateTimeOffset? InvalidAt { get; private init; }

    public string? SupersededBy { get; private init; }

    /// <summary>For Invalidate: the text of the memory that replaces this one, kept as the history row's new_memory.</summary>
    public string? ReplacementText { get; private init; }

    /// <summary>The messages that caused this change (written to the history row).</summary>
    public IReadOnlyList<string> SourceMessageIds { get; }

    public static MemoryOperation Add(MemoryRecord memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return new MemoryOperation(MemoryEvent.Add, memory.Id, memory.SourceMessageIds) { Memory = memory };
    }

    public static MemoryOperation Change(string id, MemoryUpdate update, IReadOnlyList<string> sourceMessageIds)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new MemoryOperation(MemoryEvent.Update, id, sourceMessageIds) { Update = update };
    }

    public static MemoryOperation Invalidate(
        string id, DateTimeOffset invalidAt, string? supersededBy, string? replacementText, IReadOnlyList<string> sourceMessageIds) =>
        new(MemoryEvent.Invalidate, id, sourceMessageIds)
        {
            InvalidAt = invalidAt,
            SupersededBy = supersededBy,
            ReplacementText = replacementText,
        };

    public static MemoryOperation Delete(string id, IReadOnlyList<string> sourceMessageIds) =>
        new(MemoryEvent.Delete, id, sourceMessageIds);

    /// <summary>The fact was seen again; nothing changes but a NONE history row records where.</summary>
    public static MemoryOperation Confirm(string id, IReadOnlyList<string> sourceMessageIds) =>
        new(MemoryEvent.None, id, sourceMessageIds);
}
