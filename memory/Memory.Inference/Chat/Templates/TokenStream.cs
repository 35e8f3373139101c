namespace Memory.Inference.Chat.Templates;

/// <summary>The tokens of one tag with a cursor, and the expect/skip helpers the parser uses.</summary>
internal sealed class TokenStream
{
    private readonly List<TemplateToken> _tokens;
    private int _index;

    private readonly string _source;

    public TokenStream(List<TemplateToken> tokens, SegmentKind tag, string source)
    {
        _tokens = tokens;
        Tag = tag;
        _source = source;
    }

    public SegmentKind Tag { get; }

    public TemplateToken Current => _tokens[_index];

    /// <summary>The token after <see cref="Current"/> (the end token when there is none).</summary>
    public TemplateToken Peek => _tokens[Math.Min(_index + 1, _tokens.Count - 1)];

    public TemplateToken Next()
    {
        var token = _tokens[_index];
        if (_index < _tokens.Count - 1)
        {
            _index++;
        }

        return token;
    }

    public bool SkipOperator(string op)
    {
        if (Current.Is(op))
        {
            Next();
            return true;
        }

        return false;
    }

    public bool SkipName(string name)
    {
        if (Current.IsName(name))
        {
            Next();
            return true;
        }

        return false;
    }

    public TemplateToken ExpectOperator(string op)
    {
        if (!Current.Is(op))
        {
            throw Unexpected(op);
        }

        return Next();
    }

    public TemplateToken ExpectName(string name)
    {
        if (!Current.IsName(name))
        {
            throw Unexpected(name);
        }

        return Next();
    }

    public TemplateToken Expect(TokenKind kind, string description)
    {
        if (Current.Kind != kind)
        {
            throw Unexpected(description);
        }

        return Next();
    }

    public ChatTemplateException Unexpected(string expected) =>
        TemplateParser.SyntaxError(_source, Current.Position, $"expected token {PyFormat.Repr(expected)}, got {PyFormat.Repr(Current.Describe(Tag))}");
}
