using Memory.Inference.Decoding;

namespace Memory.KvCache;

/// <summary>The KV cache's tiers and codec levels (configuration section "KvCache").</summary>
public sealed class KvCacheOptions
{
    public const string SectionName = "KvCache";

    /// <summary>Tokens per block (the decoder's KvBlockSize must match).</summary>
    public int BlockSize { get; set; } = Blocks.BlockKeyChain.DefaultBlockSize;

    /// <summary>Decoded fp16 blocks kept in host memory.</summary>
    public long HostBudgetBytes { get; set; } = 1L << 30;

    /// <summary>Directory of the disk tier; null or empty switches the tier off.</summary>
    public string? DiskPath { get; set; } = "kv-cache";

    public long DiskBudgetBytes { get; set; } = 10L << 30;

    /// <summary>Codec level of the disk tier: lossless, high, balanced or compact.</summary>
    public string DiskLevel { get; set; } = "lossless";

    /// <summary>Write every stored block to disk at once (true) or only when host memory evicts it (false).</summary>
    public bool DiskWriteThrough { get; set; } = true;

    /// <summary>StackExchange.Redis configuration ("host:port,..."); null or empty switches the tier off.</summary>
    public string? Redis { get; set; }

    public string RedisLevel { get; set; } = "balanced";

    public string RedisKeyPrefix { get; set; } = "memory:kv:";

    public TimeSpan RedisTtl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Largest value written to Redis; bigger encoded blocks stay on the other tiers.</summary>
    public long RedisMaxValueBytes { get; set; } = 64L << 20;

    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>PostgreSQL for block metadata; when empty, Storage:PostgresConnectionString, then SQLite.</summary>
    public string? MetadataPostgres { get; set; }

    /// <summary>SQLite file for block metadata; when empty, Storage:SqlitePath (the embedded store's file).</summary>
    public string? MetadataSqlitePath { get; set; }

    /// <summary>
    /// Give every tenant its own block key space (no reuse across tenants). Off by default: blocks are shared by content,
    /// which is what makes a common system prompt cheap, but a tenant could then tell from a fast first token that some
    /// other tenant sent the same prefix.
    /// </summary>
    public bool IsolateTenants { get; set; }

    /// <summary>Blocks of a prefix read from disk or Redis per codec batch; each batch decodes while the next is read.</summary>
    public int LowerTierBatchBlocks { get; set; } = KvCacheStore.DefaultLowerTierBatchBlocks;

    /// <summary>Where the codec's quantise kernels run: Auto (CUDA when present), Cuda or Cpu.</summary>
    public AcceleratorPreference Accelerator { get; set; } = AcceleratorPreference.Auto;

    public IEnumerable<string> Validate()
    {
        if (BlockSize is < 1 or > ushort.MaxValue)
        {
            yield return $"KvCache:BlockSize must be 1..{ushort.MaxValue} (got {BlockSize}).";
        }

        if (HostBudgetBytes < 0 || DiskBudgetBytes < 0 || RedisMaxValueBytes < 0)
        {
            yield return "KvCache budgets must not be negative.";
        }

        foreach (var (name, level) in new[] { ("DiskLevel", DiskLevel), ("RedisLevel", RedisLevel) })
        {
            if (!Codec.KvCodecPreset.All.Any(p => string.Equals(p.Name, level, StringComparison.OrdinalIgnoreCase)))
            {
                yield return $"KvCache:{name} '{level}' is not one of {string.Join(", ", Codec.KvCodecPreset.All.Select(p => p.Name))}.";
            }
        }

        if (LowerTierBatchBlocks < 1)
        {
            yield return $"KvCache:LowerTierBatchBlocks must be at least 1 (got {LowerTierBatchBlocks}).";
        }

        if (RedisTtl <= TimeSpan.Zero)
        {
            yield return "KvCache:RedisTtl must be positive.";
        }
    }
}
