using Memory.Conversations.Requests;

namespace Memory.Conversations.Extraction.Background;

/// <summary>A snapshot of one async_mode extraction, as its status endpoint shows it.</summary>
public sealed record ExtractionJob(
    string Id,
    string Tenant,
    ExtractionJobStatus Status,
    int Messages,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    int Attempts = 0,
    AddMemoriesResult? Result = null,
    string? Error = null);
