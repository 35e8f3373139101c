namespace Memory.Server.Contracts.Kv;

/// <summary>What a pin or unpin covered: the prefix's full blocks (a partial last block is never cached), how many are stored now.</summary>
internal sealed record KvPinResponse(bool Pinned, int PrefixTokens, int Blocks, int PinnedTokens, int StoredBlocks, IReadOnlyList<string> Keys);
