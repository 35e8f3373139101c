using Memory.Inference.Serving;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Memory.Server.Errors;

/// <summary>
/// ProblemDetails for the local model: none configured (501), failed to load or busy (503 with Retry-After), a
/// request it can never run (400: too long for the model or the KV cache, a conversation its chat template refuses).
/// </summary>
internal sealed class LocalModelExceptionHandler(IProblemDetailsService problemDetails, ILogger<LocalModelExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = Describe(exception);
        if (problem is null)
        {
            return false;
        }

        if (httpContext.Response.HasStarted)
        {
            // A stream already under way cannot turn into a problem document; end it.
            logger.LogWarning(exception, "{Path}: the stream ended early", httpContext.Request.Path);
            httpContext.Abort();
            return true;
        }

        logger.LogWarning("{Method} {Path} failed with {Status}: {Detail}", httpContext.Request.Method, httpContext.Request.Path, problem.Status, problem.Detail);
        httpContext.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    internal static ProblemDetails? Describe(Exception exception) => exception switch
    {
        LocalModelUnavailableException { IsConfigured: false } => new ProblemDetails
        {
            Status = StatusCodes.Status501NotImplemented,
            Title = "No local model",
            Detail = exception.Message,
        },
        LocalModelUnavailableException => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Local model unavailable",
            Detail = exception.Message,
        },
        GenerationBusyException => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Local model busy",
            Detail = exception.Message,
        },
        GenerationRejectedException => new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Request cannot be generated",
            Detail = exception.Message,
        },
        _ => null,
    };
}
