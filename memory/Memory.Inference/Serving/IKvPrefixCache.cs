using Memory.Inference.Decoding;

namespace Memory.Inference.Serving;

/// <summary>
/// A store of KV blocks keyed by prompt prefix, as the generation loop sees it: find the longest cached run of full
/// blocks at the start of a prompt, and hand back the blocks a prefill computed. Implemented by the KV cache
/// (Memory.KvCache); the decoder side only knows this contract.
/// </summary>
public interface IKvPrefixCache
{
    /// <summary>Tokens per block; must equal the decoder's KV block size for blocks to be exchanged.</summary>
    int BlockSize { get; }

    /// <summary>
    /// The longest run of cached blocks 0, 1, … of <paramref name="tokens"/>, at most <paramref name="maxBlocks"/>,
    /// each verified against the prompt's tokens. The blocks stay referenced (never evicted) until the match is disposed.
    /// </summary>
    Task<KvPrefixMatch> MatchAsync(ModelIdentity model, ReadOnlyMemory<int> tokens, int maxBlocks, KvBlockOrigin origin, CancellationToken cancellationToken);

    /// <summary>
    /// Stores full blocks of a sequence whose tokens are <paramref name="tokens"/> (at least through the last block
    /// given); each block's key chains the tokens before it.
    /// </summary>
    Task StoreAsync(ModelIdentity model, ReadOnlyMemory<int> tokens, IReadOnlyList<KvBlockData> blocks, KvBlockOrigin origin, CancellationToken cancellationToken);
}
