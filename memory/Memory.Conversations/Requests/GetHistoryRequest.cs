using Mediator;
using Memory.Conversations.Model;

namespace Memory.Conversations.Requests;

/// <summary>The change history of one memory, oldest first.</summary>
public sealed record GetHistoryRequest(string Tenant, string Id) : IRequest<IReadOnlyList<MemoryHistoryEntry>>;
