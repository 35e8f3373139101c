namespace Memory.Inference.Chat.Templates;

/// <summary>
/// jinja2's default <c>Undefined</c>: prints as empty, is falsy, iterates as empty, has length 0 and equals only another
/// undefined; everything else (attribute or item access, arithmetic, ordering, calls) raises <c>UndefinedError</c> with
/// <see cref="Message"/>. An undefined that stands for a blocked attribute (<c>messages.append</c> in the immutable
/// sandbox) raises a <c>SecurityError</c> instead when it is called.
/// </summary>
internal sealed class UndefinedValue
{
    private UndefinedValue(string message, bool isUnsafeAccess)
    {
        Message = message;
        IsUnsafeAccess = isUnsafeAccess;
    }

    public string Message { get; }

    public bool IsUnsafeAccess { get; }

    /// <summary>A variable that was never set: <c>'x' is undefined</c>.</summary>
    public static UndefinedValue Variable(string name) => new($"{PyFormat.Repr(name)} is undefined", false);

    /// <summary>An attribute or item that does not exist: <c>'dict object' has no attribute 'x'</c>, <c>list object has no element 3</c>.</summary>
    public static UndefinedValue Missing(object? owner, object? key) => key is string name
        ? new($"{PyFormat.Repr(Py.ObjectTypeRepr(owner))} has no attribute {PyFormat.Repr(name)}", false)
        : new($"{Py.ObjectTypeRepr(owner)} has no element {PyFormat.Repr(key)}", false);

    /// <summary>An undefined with a message of its own (<c>No first item, sequence was empty.</c>).</summary>
    public static UndefinedValue WithHint(string message) => new(message, false);

    /// <summary>An attribute the sandbox refuses, e.g. a method that would mutate a list or dict.</summary>
    public static UndefinedValue Unsafe(object? owner, string attribute) =>
        new($"access to attribute {PyFormat.Repr(attribute)} of {PyFormat.Repr(Py.TypeName(owner))} object is unsafe.", true);

    /// <summary>The error raised when the undefined value is used for something other than printing, testing or iterating.</summary>
    public ChatTemplateException Fail() => IsUnsafeAccess ? TemplateErrors.Security(Message) : TemplateErrors.Undefined(Message);
}
