using System.Text.Json.Serialization;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>One memory touched by <c>POST /memories</c>: Mem0's {id, memory, event[, previous_memory]}.</summary>
internal sealed record AddResultItem(
    string Id,
    string Memory,
    MemoryEvent Event,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PreviousMemory)
{
    public static AddResultItem From(MemoryChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new AddResultItem(change.Id, change.Memory, change.Event, change.PreviousMemory);
    }
}
