namespace Memory.Inference.Chat.Templates;

internal enum SegmentKind
{
    Text,
    Output,
    Statement,
    Comment,
}

/// <summary>
/// A piece of template source: literal text, or the inside of a <c>{{ }}</c>, <c>{% %}</c> or <c>{# #}</c> tag.
/// <see cref="Position"/> is where the piece starts in the source (the tag's opening brace); <see cref="ContentPosition"/>
/// is where <see cref="Content"/> starts, so token positions inside a tag map back to the source.
/// </summary>
internal sealed record TemplateSegment(SegmentKind Kind, string Content, int Position)
{
    public int ContentPosition { get; init; } = Position;

    /// <summary><c>{%-</c>: strip all whitespace before the tag.</summary>
    public bool TrimBefore { get; init; }

    /// <summary><c>{%+</c>: keep the indentation before the tag (no lstrip_blocks).</summary>
    public bool KeepBefore { get; init; }

    /// <summary><c>-%}</c>: strip all whitespace after the tag.</summary>
    public bool TrimAfter { get; init; }

    /// <summary><c>+%}</c>: keep the newline after the tag (no trim_blocks).</summary>
    public bool KeepAfter { get; init; }

    /// <summary>
    /// The opening <c>{% raw %}</c> tag: Jinja's lexer does not apply trim_blocks after it, only an explicit <c>-%}</c>.
    /// </summary>
    public bool IsRawBegin { get; init; }

    /// <summary>Text inside <c>{% raw %}...{% endraw %}</c>: never scanned for tags.</summary>
    public bool IsRaw { get; init; }

    public bool IsBlock => Kind is SegmentKind.Statement or SegmentKind.Comment;
}
