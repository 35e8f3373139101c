namespace Memory.Client;

/// <summary>503 — the store or the chat model is unreachable or busy, or the extraction queue is full; retry after <see cref="MemoryApiException.RetryAfter"/>. Nothing was changed.</summary>
public sealed class MemoryApiUnavailableException : MemoryApiException
{
    public MemoryApiUnavailableException() { }

    public MemoryApiUnavailableException(string message)
        : base(message) { }

    public MemoryApiUnavailableException(string message, Exception innerException)
        : base(message, innerException) { }

    public MemoryApiUnavailableException(MemoryApiProblem problem, Exception? innerException = null)
        : base(problem, innerException) { }
}
