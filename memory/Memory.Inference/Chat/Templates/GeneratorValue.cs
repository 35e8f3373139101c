namespace Memory.Inference.Chat.Templates;

/// <summary>
/// A Python generator or iterator, as returned by jinja2's <c>select</c>, <c>map</c>, <c>selectattr</c>, <c>unique</c>,
/// <c>batch</c>, <c>reverse</c> and friends. Reproduced because templates can observe it: it is always truthy (even when
/// empty), has no length, cannot be reversed, and is used up by the first iteration.
/// </summary>
internal sealed class GeneratorValue
{
    private readonly IEnumerator<object?> _source;

    public GeneratorValue(IEnumerable<object?> source, string typeName = "generator")
    {
        _source = source.GetEnumerator();
        TypeName = typeName;
    }

    public string TypeName { get; }

    /// <summary>The remaining items; what one caller takes is gone for the next, as with Python iterators.</summary>
    public IEnumerable<object?> Consume()
    {
        while (_source.MoveNext())
        {
            yield return _source.Current;
        }
    }
}
