using System.Net;

namespace Memory.Client;

/// <summary>
/// The server answered with an error: the RFC 9457 ProblemDetails it sent (status, title, detail, type,
/// trace id, per-field errors) and Retry-After when given. Subclasses name the cases callers usually catch.
/// </summary>
public class MemoryApiException : Exception
{
    public MemoryApiException()
        : this("The memory service answered with an error.") { }

    public MemoryApiException(string message)
        : base(message) { Title = message; }

    public MemoryApiException(string message, Exception innerException)
        : base(message, innerException) { Title = message; }

    public MemoryApiException(MemoryApiProblem problem, Exception? innerException = null)
        : base(Describe(problem), innerException)
    {
        ArgumentNullException.ThrowIfNull(problem);
        StatusCode = problem.Status;
        Title = problem.Title;
        Detail = problem.Detail;
        Type = problem.Type;
        TraceId = problem.TraceId;
        Errors = problem.Errors;
        RetryAfter = problem.RetryAfter;
    }

    public HttpStatusCode StatusCode { get; }

    public string Title { get; } = string.Empty;

    public string? Detail { get; }

    /// <summary>The problem type URI (e.g. the RFC section of the status).</summary>
    public string? Type { get; }

    public string? TraceId { get; }

    /// <summary>Per-field messages of a validation problem, keyed by the request field (<c>user_id</c>, <c>messages[0].content</c>...).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = new Dictionary<string, string[]>();

    /// <summary>How long the server asked callers to wait (503 answers carry it).</summary>
    public TimeSpan? RetryAfter { get; }

    public MemoryApiErrorKind Kind => KindOf(StatusCode);

    public static MemoryApiErrorKind KindOf(HttpStatusCode status) => (int)status switch
    {
        400 or 422 => MemoryApiErrorKind.Validation,
        401 or 403 => MemoryApiErrorKind.Unauthorized,
        404 => MemoryApiErrorKind.NotFound,
        409 => MemoryApiErrorKind.Conflict,
        413 => MemoryApiErrorKind.PayloadTooLarge,
        501 => MemoryApiErrorKind.NotImplemented,
        502 => MemoryApiErrorKind.UpstreamFailed,
        503 => MemoryApiErrorKind.Unavailable,
        >= 500 => MemoryApiErrorKind.ServerError,
        _ => MemoryApiErrorKind.Other,
    };

    /// <summary>The exception type that fits the problem's status.</summary>
    public static MemoryApiException From(MemoryApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return KindOf(problem.Status) switch
        {
            MemoryApiErrorKind.Validation => new MemoryApiValidationException(problem),
            MemoryApiErrorKind.Unauthorized => new MemoryApiUnauthorizedException(problem),
            MemoryApiErrorKind.NotFound => new MemoryApiNotFoundException(problem),
            MemoryApiErrorKind.Unavailable => new MemoryApiUnavailableException(problem),
            _ => new MemoryApiException(problem),
        };
    }

    private static string Describe(MemoryApiProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var head = $"{(int)problem.Status} {problem.Title}";
        return string.IsNullOrWhiteSpace(problem.Detail) ? head : $"{head}: {problem.Detail}";
    }
}
