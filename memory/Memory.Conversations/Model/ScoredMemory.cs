namespace Memory.Conversations.Model;

/// <summary>A memory with the score one ranking gave it (similarity, text rank or the fused score).</summary>
public sealed record ScoredMemory(MemoryRecord Memory, double Score);
