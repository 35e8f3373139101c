using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Memory.Server.Hosting;

/// <summary>
/// Answers 413 with a ProblemDetails as soon as a declared Content-Length exceeds the limit, before any body is read.
/// Bodies without a length (chunked) are cut by Kestrel's own limit, set to the same value.
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<ServerOptions> options, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.Headers.Connection = "close";
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "Request body too large",
                    Detail = TooLargeDetail(limit),
                },
            });
            return;
        }

        await next(context);
    }

    public static string TooLargeDetail(long limit) =>
        $"The request body is larger than the limit of {limit} bytes (Server:MaxRequestBodyBytes).";
}
