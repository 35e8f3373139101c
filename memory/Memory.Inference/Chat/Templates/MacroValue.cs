namespace Memory.Inference.Chat.Templates;

/// <summary>
/// A macro defined with <c>{% macro %}</c> (or the body of a <c>{% call %}</c> block, named <c>caller</c>). It closes
/// over the scope it was defined in by reference, so it sees variables set after its definition, as in jinja2.
/// </summary>
internal sealed class MacroValue : CallableValue
{
    public MacroValue(MacroDefinition definition, Scope closure)
    {
        Definition = definition;
        Closure = closure;
    }

    public MacroDefinition Definition { get; }

    public Scope Closure { get; }

    public override string Name => Definition.Name;

    public override string Repr => $"<Macro {PyFormat.Repr(Definition.Name)}>";

    public bool TryGetAttribute(string name, out object? value)
    {
        value = name switch
        {
            "name" => Definition.Name,
            "arguments" => new ListValue(Definition.Parameters.Cast<object?>().ToArray(), SequenceKind.Tuple),
            "catch_kwargs" => Definition.CatchKwargs,
            "catch_varargs" => Definition.CatchVarargs,
            "caller" => Definition.CatchCaller,
            _ => null,
        };
        return value is not null;
    }

    public override object? Invoke(TemplateRenderer renderer, CallArguments arguments) => renderer.CallMacro(this, arguments, caller: null);
}
