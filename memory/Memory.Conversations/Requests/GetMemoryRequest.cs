using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>One memory by id; null when the tenant has no such memory.</summary>
public sealed record GetMemoryRequest(string Tenant, string Id) : IRequest<MemoryRecord?>;
