namespace Memory.Server.Contracts.Kv;

/// <summary>Totals over the block metadata (every server on the same database).</summary>
internal sealed record KvMetadataItem(long Blocks, long PinnedBlocks, long RawBytes, long StoredBytes, long Hits);
