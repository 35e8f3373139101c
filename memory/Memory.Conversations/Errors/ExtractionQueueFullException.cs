namespace Memory.Conversations.Errors;

/// <summary>async_mode was asked for but the background extraction queue is full; nothing was queued or stored.</summary>
public sealed class ExtractionQueueFullException : Exception
{
    public ExtractionQueueFullException() { }
    public ExtractionQueueFullException(string message) : base(message) { }
    public ExtractionQueueFullException(string message, Exception innerException) : base(message, innerException) { }
}
