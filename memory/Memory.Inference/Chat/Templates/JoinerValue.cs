namespace Memory.Inference.Chat.Templates;

/// <summary>jinja2's <c>joiner(sep=", ")</c>: calling it gives "" the first time and the separator afterwards.</summary>
internal sealed class JoinerValue : CallableValue
{
    private readonly string _separator;
    private bool _used;

    public JoinerValue(string separator)
    {
        _separator = separator;
    }

    public override string Name => "joiner";

    public override string Repr => "<jinja2.utils.Joiner object>";

    public override object? Invoke(TemplateRenderer renderer, CallArguments arguments)
    {
        if (!_used)
        {
            _used = true;
            return "";
        }

        return _separator;
    }
}
