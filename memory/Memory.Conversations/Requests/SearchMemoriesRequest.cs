using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>
/// Hybrid search within a scope: vector similarity, text rank and recency fused into one score in [0, 1];
/// results under <see cref="Threshold"/> are dropped.
/// </summary>
public sealed record SearchMemoriesRequest(
    string Tenant,
    MemoryScope Scope,
    string Query,
    MetadataFilter Filter,
    int TopK,
    double? Threshold) : IRequest<IReadOnlyList<ScoredMemory>>;
