using Mediator;

namespace Memory.Conversations.Requests;

/// <summary>Deletes all memories and history of one tenant (Mem0's <c>POST /reset</c>).</summary>
public sealed record ResetRequest(string Tenant) : IRequest<Unit>;
