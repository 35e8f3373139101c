namespace Memory.Conversations.Errors;

/// <summary>
/// <c>infer: true</c> was asked for but no extraction pipeline (LLM) is configured; nothing was stored.
/// </summary>
public sealed class InferenceUnavailableException : Exception
{
    public InferenceUnavailableException()
        : base("Fact extraction (infer=true) needs an LLM endpoint and none is configured; nothing was stored. Send infer=false to store messages verbatim.") { }
    public InferenceUnavailableException(string message) : base(message) { }
    public InferenceUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
