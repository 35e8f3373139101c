namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Runtime errors named after the Python exception jinja2 would raise. They carry no position yet: the renderer adds the
/// line:column of the expression or statement being evaluated when the error passes through it.
/// </summary>
internal static class TemplateErrors
{
    public static ChatTemplateException Undefined(string message) => new(message);

    public static ChatTemplateException Type(string message) => new(message);

    public static ChatTemplateException Value(string message) => new(message);

    public static ChatTemplateException Key(string message) => new($"KeyError: {message}");

    public static ChatTemplateException Index(string message) => new(message);

    public static ChatTemplateException ZeroDivision(string message) => new(message);

    public static ChatTemplateException Security(string message) => new(message);

    public static ChatTemplateException Runtime(string message) => new(message);

    /// <summary>The template's own <c>raise_exception(message)</c>: the message is kept verbatim.</summary>
    public static ChatTemplateException Raised(string message) => new(message) { RaisedByTemplate = true };
}
