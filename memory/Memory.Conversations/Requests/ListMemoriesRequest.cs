using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>
/// Memories of a scope, newest first. With <see cref="AsOf"/>: the memories valid at that instant, including
/// ones invalidated since (a contradicted fact was true until its invalid_at).
/// </summary>
public sealed record ListMemoriesRequest(
    string Tenant, MemoryScope Scope, MetadataFilter Filter, int Limit, DateTimeOffset? AsOf = null) : IRequest<IReadOnlyList<MemoryRecord>>;
