namespace Memory.Conversations.Errors;

/// <summary>A request the engine refuses as given (missing scope, empty text, a limit out of range...).</summary>
public sealed class MemoryValidationException : Exception
{
    public MemoryValidationException(string field, string message)
        : base(message)
    {
        Field = field;
    }

    public MemoryValidationException() { Field = string.Empty; }
    public MemoryValidationException(string message) : base(message) { Field = string.Empty; }
    public MemoryValidationException(string message, Exception innerException) : base(message, innerException) { Field = string.Empty; }

    /// <summary>The request field at fault (snake_case, as the API names it).</summary>
    public string Field { get; }
}
