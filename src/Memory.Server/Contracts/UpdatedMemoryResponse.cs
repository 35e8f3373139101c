namespace Memory.Server.Contracts;

/// <summary>Mem0's update acknowledgement plus the memory as it now is.</summary>
internal sealed record UpdatedMemoryResponse(string Message, MemoryItem Result);
