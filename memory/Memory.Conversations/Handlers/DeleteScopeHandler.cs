using Mediator;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;

namespace Memory.Conversations.Handlers;

/// <summary>Deletes every memory of a scope; an empty scope is refused so nothing is deleted by omission.</summary>
public sealed class DeleteScopeHandler : IRequestHandler<DeleteScopeRequest, int>
{
    private readonly IMemoryStore _store;

    public DeleteScopeHandler(IMemoryStore store) => _store = store;

    public async ValueTask<int> Handle(DeleteScopeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.Scope(request.Scope);
        return await _store.DeleteScopeAsync(request.Tenant, request.Scope, request.Actor, cancellationToken);
    }
}
