using Mediator;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;

namespace Memory.Conversations.Handlers;

public sealed class GetHistoryHandler : IRequestHandler<GetHistoryRequest, IReadOnlyList<MemoryHistoryEntry>>
{
    private readonly IMemoryStore _store;

    public GetHistoryHandler(IMemoryStore store) => _store = store;

    public async ValueTask<IReadOnlyList<MemoryHistoryEntry>> Handle(GetHistoryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.MemoryId(request.Id);
        return await _store.GetHistoryAsync(request.Tenant, request.Id, cancellationToken);
    }
}
