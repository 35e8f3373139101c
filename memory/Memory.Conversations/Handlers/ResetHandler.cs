using Mediator;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;

namespace Memory.Conversations.Handlers;

public sealed class ResetHandler : IRequestHandler<ResetRequest, Unit>
{
    private readonly IMemoryStore _store;

    public ResetHandler(IMemoryStore store) => _store = store;

    public async ValueTask<Unit> Handle(ResetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        await _store.ResetAsync(request.Tenant, cancellationToken);
        return Unit.Value;
    }
}
