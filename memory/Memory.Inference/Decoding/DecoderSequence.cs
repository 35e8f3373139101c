namespace Memory.Inference.Decoding;

/// <summary>
/// One sequence being decoded: its tokens (all of which are in the KV cache), its KV blocks, and the next token already
/// sampled from the logits after its last token.
/// </summary>
public sealed class DecoderSequence
{
    private readonly List<int> _tokens = [];
    private readonly Random _random;

    internal DecoderSequence(int id, SamplingOptions sampling, bool captureLogits)
    {
        Id = id;
        Sampling = sampling;
        CaptureLogits = captureLogits;
        _random = new Random(sampling.Seed);
    }

    public int Id { get; }

    public SamplingOptions Sampling { get; }

    /// <summary>When true, <see cref="LastLogits"/> is filled after every forward pass (costs a device-to-host copy).</summary>
    public bool CaptureLogits { get; }

    /// <summary>Tokens whose keys and values are cached.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    public int Length => _tokens.Count;

    /// <summary>The token sampled from the logits after the last token; null before the first prefill.</summary>
    public int? NextToken { get; internal set; }

    /// <summary>Logits after the last token, when <see cref="CaptureLogits"/> is set.</summary>
    public float[]? LastLogits { get; internal set; }

    public bool IsClosed { get; internal set; }

    internal List<int> Blocks { get; } = [];

    internal void Append(ReadOnlySpan<int> tokens) => _tokens.AddRange(tokens);

    /// <summary>A uniform in [0, 1) from the sequence's seeded generator.</summary>
    internal float NextUniform() => Math.Min((float)_random.NextDouble(), 0.99999994f);
}
