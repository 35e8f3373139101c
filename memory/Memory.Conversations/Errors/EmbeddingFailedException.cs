namespace Memory.Conversations.Errors;

/// <summary>
/// The embedding generator failed or returned an unusable vector (wrong size, NaN, infinity, all zeros);
/// the operation was abandoned before anything was written.
/// </summary>
public sealed class EmbeddingFailedException : Exception
{
    public EmbeddingFailedException() { }
    public EmbeddingFailedException(string message) : base(message) { }
    public EmbeddingFailedException(string message, Exception innerException) : base(message, innerException) { }
}
