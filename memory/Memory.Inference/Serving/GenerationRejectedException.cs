namespace Memory.Inference.Serving;

/// <summary>A request the generation loop cannot take: too long for the model or the KV cache, bad tokens, or a full queue.</summary>
public sealed class GenerationRejectedException : Exception
{
    public GenerationRejectedException()
    {
    }

    public GenerationRejectedException(string message)
        : base(message)
    {
    }

    public GenerationRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the request is fine but the loop is busy: retry later (HTTP 503) rather than fix it (HTTP 400).</summary>
    public bool IsBusy { get; init; }
}
