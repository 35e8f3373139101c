namespace Memory.Client;

/// <summary>400 — the request was refused as given; <see cref="MemoryApiException.Errors"/> names the fields at fault. Nothing was changed.</summary>
public sealed class MemoryApiValidationException : MemoryApiException
{
    public MemoryApiValidationException() { }

    public MemoryApiValidationException(string message)
        : base(message) { }

    public MemoryApiValidationException(string message, Exception innerException)
        : base(message, innerException) { }

    public MemoryApiValidationException(MemoryApiProblem problem, Exception? innerException = null)
        : base(problem, innerException) { }
}
