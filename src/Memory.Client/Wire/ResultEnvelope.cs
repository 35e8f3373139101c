namespace Memory.Client.Wire;

/// <summary>Mem0's response envelope: <c>{"results": [...]}</c>.</summary>
internal sealed record ResultEnvelope<T>
{
    public IReadOnlyList<T> Results { get; init; } = [];
}
