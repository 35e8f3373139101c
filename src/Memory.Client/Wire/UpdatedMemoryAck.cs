namespace Memory.Client.Wire;

/// <summary>Answer of <c>PUT /memories/{id}</c>: a message and the memory as it now is.</summary>
internal sealed record UpdatedMemoryAck(string? Message, MemoryEntry Result);
