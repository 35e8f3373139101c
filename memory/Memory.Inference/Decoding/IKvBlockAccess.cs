namespace Memory.Inference.Decoding;

/// <summary>
/// Moves a sequence's KV cache in and out of the decoder in whole blocks, for a KV store that persists and reuses
/// prefixes. Export reads the keys and values of full blocks of a sequence; import starts a new sequence whose first
/// blocks come from outside, so that <see cref="IDecoder.Prefill"/> computes only the tokens after them.
/// Blocks are only meaningful for the model of <see cref="Identity"/> and at the positions they were exported from.
/// Not thread-safe, like the decoder itself.
/// </summary>
public interface IKvBlockAccess
{
    /// <summary>The model's identity, for keying stored blocks.</summary>
    ModelIdentity Identity { get; }

    /// <summary>Tokens per block (DecoderOptions.KvBlockSize; 256 by default, the store's chunk size).</summary>
    int KvBlockSize { get; }

    /// <summary>Blocks of <paramref name="sequence"/> that are completely filled (its length ÷ <see cref="KvBlockSize"/>).</summary>
    int FullBlockCount(DecoderSequence sequence);

    /// <summary>Copies block <paramref name="blockIndex"/> of <paramref name="sequence"/> (every layer) to the host.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The block is not full yet.</exception>
    KvBlockData ExportBlock(DecoderSequence sequence, int blockIndex);

    /// <summary>Copies blocks <paramref name="firstBlock"/> … + <paramref name="count"/> − 1 of <paramref name="sequence"/> to the host in one transfer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A block is not full yet.</exception>
    IReadOnlyList<KvBlockData> ExportBlocks(DecoderSequence sequence, int firstBlock, int count);

    /// <summary>
    /// Opens a sequence whose first tokens are those of <paramref name="prefix"/> (blocks 0, 1, … in order), with their
    /// keys and values copied into the cache instead of computed. The sequence has no next token yet: prefill the rest of
    /// the prompt (at least one token) to get logits and a sampled token.
    /// </summary>
    /// <exception cref="ArgumentException">A block's geometry, size, index or tokens do not fit this decoder.</exception>
    /// <exception cref="InvalidOperationException">Too few free cache blocks or sequence slots.</exception>
    DecoderSequence StartSequenceFromBlocks(IReadOnlyList<KvBlockData> prefix, SamplingOptions sampling, bool captureLogits = false);
}
