namespace Memory.Server.Contracts;

/// <summary>Mem0's response envelope: <c>{"results": [...]}</c>.</summary>
internal sealed record ResultList<T>(IReadOnlyList<T> Results);
