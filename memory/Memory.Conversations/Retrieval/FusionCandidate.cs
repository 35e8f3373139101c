using Memory.Conversations.Model;

namespace Memory.Conversations.Retrieval;

/// <summary>
/// One memory found by at least one store search, with what each search said about it. Ranks are 1-based
/// positions in that search's answer; null where the search did not return the memory.
/// <see cref="SpeakerMatch"/> is 1 when the query names the memory's speaker; <see cref="DateMatch"/> says how
/// well the memory's time fits a date the query names (both 0 when the query gives no such hint).
/// </summary>
public sealed record FusionCandidate(
    MemoryRecord Memory,
    double VectorSimilarity,
    int? VectorRank,
    double? TextScore,
    int? TextRank,
    double SpeakerMatch = 0,
    double DateMatch = 0);
