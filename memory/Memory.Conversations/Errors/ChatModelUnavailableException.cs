namespace Memory.Conversations.Errors;

/// <summary>
/// The extraction chat model could not be reached or failed (connection refused, timeout, a 5xx or 429 answer);
/// nothing was stored. A retry later may succeed.
/// </summary>
public sealed class ChatModelUnavailableException : Exception
{
    public ChatModelUnavailableException() { }
    public ChatModelUnavailableException(string message) : base(message) { }
    public ChatModelUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
