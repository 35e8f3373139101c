using Memory.Conversations.Extraction;
using Memory.Conversations.Model;

namespace Memory.Conversations.Consolidation;

/// <summary>
/// What to do with one fact: <see cref="MemoryEvent.Add"/> it; <see cref="MemoryEvent.Update"/> the
/// <see cref="Target"/> to <see cref="Text"/>; <see cref="MemoryEvent.Invalidate"/> the target (and add the fact);
/// <see cref="MemoryEvent.Delete"/> the target (a forget request); or <see cref="MemoryEvent.None"/> (the target
/// already says it; for a forget request without a target, nothing at all).
/// </summary>
public sealed record FactDecision(ExtractedFact Fact, MemoryEvent Event, MemoryRecord? Target, string Text);
