using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;

namespace Memory.KvCache.Tiers;

/// <summary>A tier that keeps encoded blocks (<see cref="KvBlockFormat"/> bytes) at its own codec level.</summary>
public interface IKvBlobTier
{
    string Name { get; }

    KvCodecPreset Level { get; }

    /// <summary>The stored bytes, or null on a miss or when the tier is unavailable (never throws for an outage).</summary>
    Task<byte[]?> GetAsync(BlockKey key, CancellationToken cancellationToken);

    /// <summary>Stores the bytes; false when the tier refused them (too large, unavailable).</summary>
    Task<bool> PutAsync(BlockKey key, byte[] data, CancellationToken cancellationToken);

    Task<bool> ContainsAsync(BlockKey key, CancellationToken cancellationToken);

    Task RemoveAsync(BlockKey key, CancellationToken cancellationToken);

    KvTierStats Stats();
}
