namespace Memory.Client.Wire;

/// <summary>Answer of <c>DELETE /memories?...</c>: a message and how many memories went.</summary>
internal sealed record DeletedScopeAck(string? Message, int Deleted);
