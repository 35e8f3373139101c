using Mediator;
using Memory.Conversations.Requests;
using Memory.Server.Contracts;
using Memory.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Memory.Server.Endpoints;

/// <summary>Mem0's <c>POST /reset</c>, confined to the caller's tenant.</summary>
internal static class ResetEndpoints
{
    public static IEndpointRouteBuilder MapResetEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/reset", ResetAsync).WithName("Reset").WithTags("Memories").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithSummary("Delete every memory and all history of the caller's tenant.");
        return routes;
    }

    private static async Task<Ok<MessageResponse>> ResetAsync(CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new ResetRequest(tenant.Id), cancellationToken);
        return TypedResults.Ok(new MessageResponse("All memories reset"));
    }
}
