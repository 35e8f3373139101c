using Mediator;
using Memory.Conversations.Extraction.Background;
using Memory.Conversations.Requests;

namespace Memory.Conversations.Handlers;

public sealed class GetExtractionHandler : IRequestHandler<GetExtractionRequest, ExtractionJob?>
{
    private readonly ExtractionJobs _jobs;

    public GetExtractionHandler(ExtractionJobs jobs) => _jobs = jobs;

    public ValueTask<ExtractionJob?> Handle(GetExtractionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidation.Tenant(request.Tenant);
        RequestValidation.MemoryId(request.Id);
        return ValueTask.FromResult(_jobs.Get(request.Tenant, request.Id));
    }
}
