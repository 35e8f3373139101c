namespace Memory.Conversations.Errors;

/// <summary>
/// A batch of memory changes named a memory that no longer exists (or was already invalidated) when it was
/// applied, usually because another request changed it meanwhile; the whole batch was rolled back.
/// </summary>
public sealed class MemoryConflictException : Exception
{
    public MemoryConflictException(string memoryId, string message)
        : base(message)
    {
        MemoryId = memoryId;
    }

    public MemoryConflictException() { MemoryId = string.Empty; }
    public MemoryConflictException(string message) : base(message) { MemoryId = string.Empty; }
    public MemoryConflictException(string message, Exception innerException) : base(message, innerException) { MemoryId = string.Empty; }

    public string MemoryId { get; }
}
