using Mediator;
using Memory.Conversations.Extraction.Background;

namespace Memory.Conversations.Requests;

/// <summary>
/// async_mode: validates an infer=true add and queues it for the background worker; the returned job's id is
/// what <see cref="GetExtractionRequest"/> reports on.
/// </summary>
public sealed record QueueExtractionRequest(AddMemoriesRequest Add) : IRequest<ExtractionJob>;
