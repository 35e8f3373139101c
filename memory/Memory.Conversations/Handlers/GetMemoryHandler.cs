using Mediator;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;

namespace Memory.Conversations.Handlers;

public sealed class GetMemoryHandler : IRequestHandler<GetMemoryRequest, MemoryRecord?>
{
    private readonly IMemoryStore _store;

    public GetMemoryHandler(IMemoryStore store) => _store = store;

    public async ValueTask<MemoryRecord?> Handle(GetMemoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.MemoryId(request.Id);
        return await _store.GetAsync(request.Tenant, request.Id, cancellationToken);
    }
}
