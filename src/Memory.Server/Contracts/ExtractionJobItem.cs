using System.Text.Json.Serialization;
using Memory.Conversations.Extraction.Background;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>A background (async_mode) extraction: its status and, once completed, Mem0's results and the extraction report.</summary>
internal sealed record ExtractionJobItem
{
    public required string Id { get; init; }

    /// <summary>QUEUED, RUNNING, COMPLETED or FAILED.</summary>
    public required ExtractionJobStatus Status { get; init; }

    public required int Messages { get; init; }

    public required DateTimeOffset QueuedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public int Attempts { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<AddResultItem>? Results { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExtractionReport? Extraction { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    public static ExtractionJobItem From(ExtractionJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new ExtractionJobItem
        {
            Id = job.Id,
            Status = job.Status,
            Messages = job.Messages,
            QueuedAt = job.QueuedAt,
            StartedAt = job.StartedAt,
            FinishedAt = job.FinishedAt,
            Attempts = job.Attempts,
            Results = job.Result is null ? null : [.. job.Result.Results.Select(AddResultItem.From)],
            Extraction = job.Result?.Extraction,
            Error = job.Error,
        };
    }
}
