using Memory.Conversations.Model;

namespace Memory.Conversations.Retrieval;

/// <summary>
/// One memory found by at least one store search, with what each search said about it. Ranks are 1-based
/// positions in that search's answer; null where the search did not return the memory.
/// </summary>
public sealed record FusionCandidate(
    MemoryRecord Memory,
    double VectorSimilarity,
    int? VectorRank,
    double? TextScore,
    int? TextRank);
