using Memory.Conversations.Model;

namespace Memory.Storage;

/// <summary>The event names as stored in memory_history (Mem0's upper-case spelling).</summary>
internal static class HistoryEventNames
{
    public static string ToStored(MemoryEvent memoryEvent) => memoryEvent switch
    {
        MemoryEvent.Add => "ADD",
        MemoryEvent.Update => "UPDATE",
        MemoryEvent.Delete => "DELETE",
        MemoryEvent.None => "NONE",
        MemoryEvent.Invalidate => "INVALIDATE",
        _ => throw new ArgumentOutOfRangeException(nameof(memoryEvent), memoryEvent, "Unknown memory event."),
    };

    public static MemoryEvent FromStored(string stored) => stored switch
    {
        "ADD" => MemoryEvent.Add,
        "UPDATE" => MemoryEvent.Update,
        "DELETE" => MemoryEvent.Delete,
        "NONE" => MemoryEvent.None,
        "INVALIDATE" => MemoryEvent.Invalidate,
        _ => throw new InvalidDataException($"memory_history holds an unknown event '{stored}'."),
    };
}
