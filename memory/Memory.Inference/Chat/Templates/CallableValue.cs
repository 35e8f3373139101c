namespace Memory.Inference.Chat.Templates;

/// <summary>Anything a template can call: globals such as <c>range</c>, bound methods such as <c>'x'.strip</c>, macros, <c>loop.cycle</c>.</summary>
internal abstract class CallableValue
{
    public abstract string Name { get; }

    /// <summary>How Python's <c>str()</c> shows it (<c>&lt;Macro 'name'&gt;</c>, <c>&lt;built-in method strip of str object&gt;</c>).</summary>
    public abstract string Repr { get; }

    public abstract object? Invoke(TemplateRenderer renderer, CallArguments arguments);
}

/// <summary>A function implemented by the renderer (a global, or a method bound to its receiver).</summary>
internal sealed class BuiltinFunction : CallableValue
{
    private readonly Func<TemplateRenderer, CallArguments, object?> _body;

    public BuiltinFunction(string name, string repr, Func<TemplateRenderer, CallArguments, object?> body)
    {
        Name = name;
        Repr = repr;
        _body = body;
    }

    public override string Name { get; }

    public override string Repr { get; }

    public static BuiltinFunction Method(object? receiver, string name, Func<TemplateRenderer, CallArguments, object?> body) =>
        new(name, $"<built-in method {name} of {Py.TypeName(receiver)} object>", body);

    public override object? Invoke(TemplateRenderer renderer, CallArguments arguments) => _body(renderer, arguments);
}
