using System.Net;

namespace Memory.Client;

/// <summary>An error answer of the server, read from its ProblemDetails body and headers.</summary>
public sealed record MemoryApiProblem(HttpStatusCode Status, string Title)
{
    public string? Detail { get; init; }

    public string? Type { get; init; }

    public string? TraceId { get; init; }

    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();

    public TimeSpan? RetryAfter { get; init; }
}
