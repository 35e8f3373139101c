using Mediator;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;
using Memory.Server.Contracts;
using Memory.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Memory.Server.Endpoints;

/// <summary>Mem0's memory endpoints at <c>/memories</c>: add, list, get, update, delete, delete by scope, history.</summary>
internal static class MemoryEndpoints
{
    public const int DefaultListLimit = 100;

    public static IEndpointRouteBuilder MapMemoryEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/memories").WithTags("Memories").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("", ExtractionEndpoints.AddAsync).WithName("AddMemories")
            .WithSummary("Store messages as memories: infer=true extracts facts with the configured chat model, infer=false stores each message verbatim.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status501NotImplemented).ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("", ListAsync).WithName("ListMemories")
            .WithSummary("Memories of a scope (user_id, agent_id and/or run_id), newest first; as_of lists what was valid at that instant.")
            .ProducesValidationProblem();
        group.MapDelete("", DeleteScopeAsync).WithName("DeleteScope")
            .WithSummary("Delete every memory of a scope.")
            .ProducesValidationProblem();
        group.MapGet("/{id}", GetAsync).WithName("GetMemory").WithSummary("One memory by id.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{id}", UpdateAsync).WithName("UpdateMemory")
            .WithSummary("Replace a memory's text (and metadata when given).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status502BadGateway);
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteMemory").WithSummary("Delete one memory.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/history", HistoryAsync).WithName("MemoryHistory").WithSummary("Every change to a memory, oldest first (kept after the memory is deleted).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<Ok<ResultList<MemoryItem>>> ListAsync(
        [AsParameters] ScopeQuery scope, [FromQuery] int? limit, [FromQuery(Name = "as_of")] DateTimeOffset? asOf, CallerTenant tenant,
        ISender sender, CancellationToken cancellationToken)
    {
        var memories = await sender.Send(
            new ListMemoriesRequest(tenant.Id, scope.ToScope(), MetadataFilter.None, limit ?? DefaultListLimit, asOf), cancellationToken);
        return TypedResults.Ok(new ResultList<MemoryItem>([.. memories.Select(m => MemoryItem.From(m))]));
    }

    private static async Task<Ok<DeletedScopeResponse>> DeleteScopeAsync(
        [AsParameters] ScopeQuery scope, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var deleted = await sender.Send(new DeleteScopeRequest(tenant.Id, scope.ToScope(), EndpointActor.Api), cancellationToken);
        return TypedResults.Ok(new DeletedScopeResponse("All relevant memories deleted", deleted));
    }

    private static async Task<Results<Ok<MemoryItem>, ProblemHttpResult>> GetAsync(
        string id, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var memory = await sender.Send(new GetMemoryRequest(tenant.Id, id), cancellationToken);
        return memory is null ? NotFoundProblem.Memory(id) : TypedResults.Ok(MemoryItem.From(memory));
    }

    private static async Task<Results<Ok<UpdatedMemoryResponse>, ProblemHttpResult>> UpdateAsync(
        string id, UpdateMemoryBody body, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var memory = await sender.Send(body.ToRequest(tenant.Id, id, EndpointActor.Api), cancellationToken);
        return memory is null
            ? NotFoundProblem.Memory(id)
            : TypedResults.Ok(new UpdatedMemoryResponse("Memory updated successfully!", MemoryItem.From(memory)));
    }

    private static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> DeleteAsync(
        string id, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var deleted = await sender.Send(new DeleteMemoryRequest(tenant.Id, id, EndpointActor.Api), cancellationToken);
        return deleted ? TypedResults.Ok(new MessageResponse("Memory deleted successfully!")) : NotFoundProblem.Memory(id);
    }

    private static async Task<Results<Ok<List<HistoryItem>>, ProblemHttpResult>> HistoryAsync(
        string id, CallerTenant tenant, ISender sender, CancellationToken cancellationToken)
    {
        var history = await sender.Send(new GetHistoryRequest(tenant.Id, id), cancellationToken);
        return history.Count == 0 ? NotFoundProblem.Memory(id) : TypedResults.Ok(history.Select(HistoryItem.From).ToList());
    }
}
