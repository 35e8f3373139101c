namespace Memory.Conversations.Model;

/// <summary>
/// What happened to a memory; the names are Mem0's, and appear verbatim in the API. <see cref="Invalidate"/> is
/// this service's own: a later fact contradicted the memory, which stays (with invalid_at and superseded_by) for
/// history and as-of queries instead of being deleted.
/// </summary>
public enum MemoryEvent
{
    Add,
    Update,
    Delete,
    None,
    Invalidate,
}
