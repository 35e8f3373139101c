namespace Memory.KvCache.Metadata;

/// <summary>Totals over the metadata rows.</summary>
public sealed record KvMetadataSummary(long Blocks, long PinnedBlocks, long RawBytes, long StoredBytes, long Hits);
