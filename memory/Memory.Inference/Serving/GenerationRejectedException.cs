namespace Memory.Inference.Serving;

/// <summary>
/// A request the generation loop can never run as given: too long for the model or the KV cache, bad tokens, or a
/// conversation the chat template refuses. An argument error (retrying the same request cannot help), so callers that
/// only know the BCL, such as the extraction pipeline, can tell it from a busy or broken model.
/// </summary>
public sealed class GenerationRejectedException : ArgumentException
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
}
