namespace Memory.Server.Contracts;

/// <summary>Mem0's delete-all acknowledgement plus how many memories went.</summary>
internal sealed record DeletedScopeResponse(string Message, int Deleted);
