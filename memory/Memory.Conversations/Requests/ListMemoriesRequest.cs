using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>Memories of a scope, newest first.</summary>
public sealed record ListMemoriesRequest(
    string Tenant, MemoryScope Scope, MetadataFilter Filter, int Limit) : IRequest<IReadOnlyList<MemoryRecord>>;
