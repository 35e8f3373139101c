using Memory.Conversations.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Memory.Server.Errors;

/// <summary>
/// ProblemDetails for the extraction pipeline's failures: the chat model unreachable or failing (503, Retry-After)
/// or refusing the call (502), the async_mode queue full (503), and a batch of changes that lost a race with
/// another request (409). In every case nothing was stored.
/// </summary>
internal sealed class ExtractionExceptionHandler(IProblemDetailsService problemDetails, ILogger<ExtractionExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = Describe(exception);
        if (problem is null)
        {
            return false;
        }

        logger.LogWarning("{Method} {Path} failed with {Status}: {Detail}", httpContext.Request.Method, httpContext.Request.Path, problem.Status, problem.Detail);
        httpContext.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "10";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    internal static ProblemDetails? Describe(Exception exception) => exception switch
    {
        ChatModelUnavailableException => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Chat model unavailable",
            Detail = exception.Message,
        },
        ChatModelRejectedException => new ProblemDetails
        {
            Status = StatusCodes.Status502BadGateway,
            Title = "Chat model refused the call",
            Detail = exception.Message,
        },
        ExtractionQueueFullException => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Extraction queue full",
            Detail = exception.Message,
        },
        MemoryConflictException => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Memory changed meanwhile",
            Detail = exception.Message + " Retry the request.",
        },
        _ => null,
    };
}
