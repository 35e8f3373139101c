namespace Memory.Inference.Chat.Templates;

internal enum TokenKind
{
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>
/// One lexical token inside a tag; <see cref="Position"/> is the offset in the template source. For strings
/// <see cref="Text"/> is the decoded value; for numbers it is the literal without digit separators (<c>_</c>), and
/// <see cref="Value"/> is the parsed number (long or double).
/// </summary>
internal readonly record struct TemplateToken(TokenKind Kind, string Text, int Position)
{
    public object? Value { get; init; }

    public bool Is(string op) => Kind == TokenKind.Operator && Text == op;

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    /// <summary>How Jinja names the token in "expected ..., got ..." messages.</summary>
    public string Describe(SegmentKind tag) => Kind switch
    {
        TokenKind.End => tag == SegmentKind.Output ? "end of print statement" : "end of statement block",
        TokenKind.String => "string",
        TokenKind.Integer => "integer",
        TokenKind.Float => "float",
        _ => Text,
    };
}
