using Mediator;
using Memory.Server.Contracts;
using Memory.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Memory.Server.Endpoints;

/// <summary>Mem0's <c>POST /search</c>: hybrid search within a scope.</summary>
internal static class SearchEndpoints
{
    public static IEndpointRouteBuilder MapSearchEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/search", SearchAsync).WithName("SearchMemories").WithTags("Memories").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithSummary("Memories of a scope ranked by relevance to a query (score in [0, 1]).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status502BadGateway);
        return routes;
    }

    private static async Task<Ok<ResultList<MemoryItem>>> SearchAsync(
        SearchBody body, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var found = await sender.Send(body.ToRequest(tenant.Id), cancellationToken);
        return TypedResults.Ok(new ResultList<MemoryItem>([.. found.Select(s => MemoryItem.From(s.Memory, s.Score))]));
    }
}
