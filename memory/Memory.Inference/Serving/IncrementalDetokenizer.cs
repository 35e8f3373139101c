using Memory.Inference.Tokenization;

namespace Memory.Inference.Serving;

/// <summary>
/// Turns generated token ids into text pieces as they arrive. Byte-level BPE tokens can split a UTF-8 character, so a
/// piece is released only once the text decoded so far no longer ends in a replacement character; the rest waits for
/// the next token (or <see cref="Flush"/>).
/// </summary>
internal sealed class IncrementalDetokenizer(HfTokenizer tokenizer)
{
    private readonly List<int> _ids = [];
    private int _released;

    public string Text { get; private set; } = string.Empty;

    /// <summary>Length of <see cref="Text"/> without a trailing incomplete character.</summary>
    public int CompleteLength { get; private set; }

    public int Released => _released;

    /// <summary>Adds a token and decodes the text so far.</summary>
    public void Add(int token)
    {
        _ids.Add(token);
        Text = tokenizer.Decode(_ids);
        CompleteLength = Text.EndsWith('\uFFFD') ? Math.Max(_released, Text.Length - 1) : Text.Length;
    }

    /// <summary>Text not released yet, incomplete characters included (at the end of the completion).</summary>
    public string Flush() => Release(Text.Length);

    /// <summary>Releases text up to <paramref name="end"/> (used to cut at a stop sequence).</summary>
    public string Release(int end)
    {
        if (end <= _released)
        {
            return string.Empty;
        }

        string piece = Text[_released..end];
        _released = end;
        return piece;
    }
}
