namespace Memory.Server.Contracts;

/// <summary>Mem0's acknowledgement shape: <c>{"message": "..."}</c>.</summary>
internal sealed record MessageResponse(string Message);
