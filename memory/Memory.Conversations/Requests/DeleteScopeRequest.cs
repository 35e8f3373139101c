using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>Deletes every memory of a scope; returns how many were deleted.</summary>
public sealed record DeleteScopeRequest(string Tenant, MemoryScope Scope, string Actor) : IRequest<int>;
