using Memory.Inference.Models;

namespace Memory.Inference.Decoding;

/// <summary>
/// An in-process decoder over a paged KV cache. Prefill runs a prompt in chunks; each <see cref="Step"/> feeds every
/// given sequence its pending next token in one batched forward pass and samples the one after.
/// Not thread-safe: one caller drives a decoder at a time.
/// </summary>
public interface IDecoder : IDisposable
{
    ModelConfig Config { get; }

    /// <summary>How many sequences and tokens fit in the decoder at once.</summary>
    DecoderCapacity Capacity { get; }

    /// <summary>Opens a sequence with its own sampling settings; <paramref name="captureLogits"/> keeps host copies of its logits.</summary>
    DecoderSequence StartSequence(SamplingOptions sampling, bool captureLogits = false);

    /// <summary>Runs <paramref name="tokens"/> through the model (in chunks), caching their keys and values, and samples the sequence's next token.</summary>
    void Prefill(DecoderSequence sequence, ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default);

    /// <summary>Feeds each sequence its <see cref="DecoderSequence.NextToken"/>, samples the following one, and returns the tokens fed.</summary>
    IReadOnlyList<int> Step(IReadOnlyList<DecoderSequence> sequences, CancellationToken cancellationToken = default);

    /// <summary>Logits [tokens.Length, vocab] at every position of <paramref name="tokens"/> appended to the sequence (diagnostics, surprise).</summary>
    float[] PrefillWithAllLogits(DecoderSequence sequence, ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default);

    /// <summary>Frees the sequence's KV blocks.</summary>
    void EndSequence(DecoderSequence sequence);
}
