namespace Memory.Inference.Chat;

/// <summary>
/// A chat template that cannot be parsed or rendered: a syntax error (with <see cref="Line"/> and <see cref="Column"/>),
/// a runtime error such as an undefined attribute or a type error, a template that exceeded the renderer's limits, or the
/// template's own <c>raise_exception(...)</c>.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException()
    {
    }

    public ChatTemplateException(string message)
        : base(message)
    {
    }

    public ChatTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// True when the template itself refused the conversation (<c>raise_exception</c>), e.g. roles that do not alternate.
    /// <see cref="Exception.Message"/> is then exactly the template's message, which is meant for the end user.
    /// </summary>
    public bool RaisedByTemplate { get; init; }

    /// <summary>1-based line in the template source where the problem was found; null when it is not tied to a place.</summary>
    public int? Line { get; init; }

    /// <summary>1-based column (in UTF-16 code units) in the template source; null when it is not tied to a place.</summary>
    public int? Column { get; init; }
}
