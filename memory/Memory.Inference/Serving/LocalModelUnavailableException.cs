namespace Memory.Inference.Serving;

/// <summary>No local model can serve: none is configured (<see cref="IsConfigured"/> false), or it failed to load.</summary>
public sealed class LocalModelUnavailableException : Exception
{
    public LocalModelUnavailableException()
    {
    }

    public LocalModelUnavailableException(string message)
        : base(message)
    {
    }

    public LocalModelUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>False when no model directory is configured at all (a setting to add, not a failure to retry).</summary>
    public bool IsConfigured { get; init; } = true;
}
