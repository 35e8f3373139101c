namespace Memory.Conversations.Model;

/// <summary>What happened to a memory; the names are Mem0's, and appear verbatim in the API.</summary>
public enum MemoryEvent
{
    Add,
    Update,
    Delete,
    None,
}
