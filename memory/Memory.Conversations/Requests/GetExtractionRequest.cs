using Mediator;
using Memory.Conversations.Extraction.Background;

namespace Memory.Conversations.Requests;

/// <summary>The status of one background extraction; null when the tenant has no such job (or it has been forgotten).</summary>
public sealed record GetExtractionRequest(string Tenant, string Id) : IRequest<ExtractionJob?>;
