using System.Data.Common;
using System.Text.Json;
using Memory.Conversations.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Memory.Server.Errors;

/// <summary>
/// Turns the domain's exceptions and bad HTTP input into ProblemDetails with the status the API documents;
/// anything else is left to the default handler (a 500 ProblemDetails without internals).
/// </summary>
internal sealed class DomainExceptionHandler(IProblemDetailsService problemDetails, ILogger<DomainExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; there is nobody to answer.
            logger.LogDebug("Request {Path} was aborted by the client.", httpContext.Request.Path);
            httpContext.Response.StatusCode = 499;
            return true;
        }

        var problem = Describe(exception);
        if (problem is null)
        {
            return false;
        }

        if (problem.Status >= 500)
        {
            logger.LogWarning(exception, "{Method} {Path} failed with {Status}: {Detail}",
                httpContext.Request.Method, httpContext.Request.Path, problem.Status, problem.Detail);
        }
        else
        {
            logger.LogInformation("{Method} {Path} refused with {Status}: {Detail}",
                httpContext.Request.Method, httpContext.Request.Path, problem.Status, problem.Detail);
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
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
        MemoryValidationException validation => Validation(validation),
        InferenceUnavailableException => new ProblemDetails
        {
            Status = StatusCodes.Status501NotImplemented,
            Title = "Inference unavailable",
            Detail = exception.Message,
        },
        EmbeddingFailedException => new ProblemDetails
        {
            Status = StatusCodes.Status502BadGateway,
            Title = "Embedding failed",
            Detail = exception.Message + " Nothing was written.",
        },
        BadHttpRequestException badRequest => BadRequest(badRequest),

        // A transient store failure (connection lost, server restarting, database busy) is the store being
        // unavailable, not a bug; other database errors stay 500s.
        DbException { IsTransient: true } => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Store unavailable",
            Detail = "The memory store cannot be reached right now; retry later.",
        },
        JsonException json => new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Malformed JSON",
            Detail = json.Message,
        },
        _ => null,
    };

    private static ValidationProblemDetails Validation(MemoryValidationException exception)
    {
        var field = string.IsNullOrEmpty(exception.Field) ? "request" : exception.Field;
        return new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [exception.Message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid request",
            Detail = exception.Message,
        };
    }

    private static ProblemDetails BadRequest(BadHttpRequestException exception)
    {
        var json = FindInner<JsonException>(exception);
        if (json is not null)
        {
            return new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Malformed JSON",
                Detail = "The request body is not valid JSON for this endpoint: " + json.Message
                    + (json.InnerException is { } cause ? $" ({cause.Message})" : string.Empty),
            };
        }

        var encoding = FindInner<InvalidOperationException>(exception);
        if (encoding is not null)
        {
            return new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Malformed request body",
                Detail = "The request body cannot be read: " + encoding.Message,
            };
        }

        return new ProblemDetails
        {
            Status = exception.StatusCode,
            Title = exception.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
                _ => "Bad request",
            },
            Detail = exception.Message,
        };
    }

    private static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is T match)
            {
                return match;
            }
        }

        return null;
    }
}
