namespace Memory.Inference.Serving;

/// <summary>The generation loop's queue is full: the request is fine, retry it later (HTTP 503).</summary>
public sealed class GenerationBusyException : Exception
{
    public GenerationBusyException()
    {
    }

    public GenerationBusyException(string message)
        : base(message)
    {
    }

    public GenerationBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
