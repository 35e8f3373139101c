namespace Memory.Client;

/// <summary>404 — no memory with that id exists for this API key (another tenant's id gets the same answer).</summary>
public sealed class MemoryApiNotFoundException : MemoryApiException
{
    public MemoryApiNotFoundException() { }

    public MemoryApiNotFoundException(string message)
        : base(message) { }

    public MemoryApiNotFoundException(string message, Exception innerException)
        : base(message, innerException) { }

    public MemoryApiNotFoundException(MemoryApiProblem problem, Exception? innerException = null)
        : base(problem, innerException) { }
}
