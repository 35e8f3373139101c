namespace Memory.KvCache;

/// <summary>Outcome of a pin or unpin: full blocks in the prefix, how many of them are stored, their keys.</summary>
public sealed record KvPinResult(int Blocks, int StoredBlocks, IReadOnlyList<string> Keys);
