namespace Memory.Client;

/// <summary>A background (async_mode) extraction as <c>GET /v1/extractions/{id}</c> reports it.</summary>
public sealed record BackgroundExtraction
{
    public required string Id { get; init; }

    public required BackgroundExtractionStatus Status { get; init; }

    /// <summary>How many messages were queued.</summary>
    public int Messages { get; init; }

    public DateTimeOffset QueuedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public int Attempts { get; init; }

    /// <summary>The memories touched, once <see cref="BackgroundExtractionStatus.Completed"/>.</summary>
    public IReadOnlyList<MemoryChange>? Results { get; init; }

    public ExtractionOutcome? Extraction { get; init; }

    public string? Error { get; init; }

    public bool IsFinished => Status is BackgroundExtractionStatus.Completed or BackgroundExtractionStatus.Failed;
}
