using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>
/// Hybrid search within a scope: vector similarity, text rank and recency fused into one score in [0, 1];
/// results under <see cref="Threshold"/> are dropped. With <see cref="AsOf"/> the search runs over the memories
/// valid at that instant (including ones invalidated since), ranked the same way.
/// </summary>
public sealed record SearchMemoriesRequest(
    string Tenant,
    MemoryScope Scope,
    string Query,
    MetadataFilter Filter,
    int TopK,
    double? Threshold,
    DateTimeOffset? AsOf = null) : IRequest<IReadOnlyList<ScoredMemory>>;
