namespace Memory.Client;

/// <summary>401 or 403 — the API key is missing or wrong, or a server without keys refused a non-loopback caller.</summary>
public sealed class MemoryApiUnauthorizedException : MemoryApiException
{
    public MemoryApiUnauthorizedException() { }

    public MemoryApiUnauthorizedException(string message)
        : base(message) { }

    public MemoryApiUnauthorizedException(string message, Exception innerException)
        : base(message, innerException) { }

    public MemoryApiUnauthorizedException(MemoryApiProblem problem, Exception? innerException = null)
        : base(problem, innerException) { }
}
