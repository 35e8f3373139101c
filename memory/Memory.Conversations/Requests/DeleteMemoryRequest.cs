using Mediator;

namespace Memory.Conversations.Requests;

/// <summary>Deletes one memory; false when the tenant has no such memory.</summary>
public sealed record DeleteMemoryRequest(string Tenant, string Id, string Actor) : IRequest<bool>;
