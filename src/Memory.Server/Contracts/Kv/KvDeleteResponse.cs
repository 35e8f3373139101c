namespace Memory.Server.Contracts.Kv;

/// <summary>Blocks removed from every tier and from the metadata.</summary>
internal sealed record KvDeleteResponse(int Deleted);
