using Mediator;
using Memory.Conversations.Requests;
using Memory.Server.Contracts;
using Memory.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Memory.Server.Endpoints;

/// <summary>
/// infer=true on <c>POST /memories</c> (synchronous by default, queued with async_mode) and the status of a
/// queued extraction at <c>GET /v1/extractions/{id}</c>.
/// </summary>
internal static class ExtractionEndpoints
{
    public static IEndpointRouteBuilder MapExtractionEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/extractions/{id}", GetAsync).WithName("GetExtraction").WithTags("Extraction").RequireAuthorization()
            .WithSummary("Status of a background (async_mode) extraction; its results once completed.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>The add itself: 200 with the results, or 202 with the queued job for async_mode.</summary>
    public static async Task<Results<Ok<AddMemoriesResponse>, Accepted<ExtractionJobItem>>> AddAsync(
        AddMemoriesBody body, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var request = body.ToRequest(tenant.Id, EndpointActor.Api);
        if (body.AsyncMode == true)
        {
            var job = await sender.Send(new QueueExtractionRequest(request), cancellationToken);
            return TypedResults.Accepted($"/v1/extractions/{job.Id}", ExtractionJobItem.From(job));
        }

        var result = await sender.Send(request, cancellationToken);
        return TypedResults.Ok(AddMemoriesResponse.From(result));
    }

    private static async Task<Results<Ok<ExtractionJobItem>, ProblemHttpResult>> GetAsync(
        string id, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var job = await sender.Send(new GetExtractionRequest(tenant.Id, id), cancellationToken);
        return job is null
            ? TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Extraction not found",
                detail: $"No background extraction with id '{(id.Length <= 100 ? id : id[..100] + "...")}' exists for this API key (finished jobs are kept for a while, not forever).")
            : TypedResults.Ok(ExtractionJobItem.From(job));
    }
}
