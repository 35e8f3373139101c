using Mediator;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;

namespace Memory.Conversations.Handlers;

public sealed class DeleteMemoryHandler : IRequestHandler<DeleteMemoryRequest, bool>
{
    private readonly IMemoryStore _store;

    public DeleteMemoryHandler(IMemoryStore store) => _store = store;

    public async ValueTask<bool> Handle(DeleteMemoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.MemoryId(request.Id);
        return await _store.DeleteAsync(request.Tenant, request.Id, request.Actor, cancellationToken);
    }
}
