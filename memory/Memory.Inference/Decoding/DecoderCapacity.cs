namespace Memory.Inference.Decoding;

/// <summary>What a decoder can hold at once, for a scheduler that admits requests only when they fit.</summary>
/// <param name="KvBlockSize">Tokens per paged KV block.</param>
/// <param name="KvBlocks">Blocks in the whole KV cache, shared by every open sequence.</param>
/// <param name="MaxSequences">Sequences that may be open at once.</param>
/// <param name="MaxTokensPerSequence">The longest sequence the model attends over (its position limit, or the sliding window).</param>
public sealed record DecoderCapacity(int KvBlockSize, int KvBlocks, int MaxSequences, int MaxTokensPerSequence)
{
    /// <summary>Blocks a sequence of <paramref name="tokens"/> tokens occupies.</summary>
    public int BlocksFor(int tokens) => (tokens + KvBlockSize - 1) / KvBlockSize;
}
