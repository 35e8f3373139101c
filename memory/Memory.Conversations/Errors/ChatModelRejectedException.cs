namespace Memory.Conversations.Errors;

/// <summary>
/// The extraction chat model refused the call (a 4xx answer: wrong API key, unknown model, request too large);
/// nothing was stored. Retrying will not help until the configuration changes.
/// </summary>
public sealed class ChatModelRejectedException : Exception
{
    public ChatModelRejectedException() { }
    public ChatModelRejectedException(string message) : base(message) { }
    public ChatModelRejectedException(string message, Exception innerException) : base(message, innerException) { }
}
