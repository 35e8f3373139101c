using Mediator;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Conversations.Storage;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Handlers;

/// <summary>Memories of a scope, newest first; invalidated ones are left out, unless they were still valid at the as-of instant asked for.</summary>
public sealed class ListMemoriesHandler : IRequestHandler<ListMemoriesRequest, IReadOnlyList<MemoryRecord>>
{
    private readonly IMemoryStore _store;
    private readonly ConversationOptions _options;

    public ListMemoriesHandler(IMemoryStore store, IOptions<ConversationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
    }

    public async ValueTask<IReadOnlyList<MemoryRecord>> Handle(ListMemoriesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.Scope(request.Scope);
        RequestValidation.Filter(request.Filter);
        RequestValidation.Limit(request.Limit, _options.MaxListLimit);
        if (request.AsOf is { } asOf)
        {
            return await _store.ListValidAtAsync(request.Tenant, request.Scope, request.Filter, asOf, request.Limit, cancellationToken);
        }

        return await _store.ListAsync(request.Tenant, request.Scope, request.Filter, request.Limit, includeInvalid: false, cancellationToken);
    }
}
