using Microsoft.AspNetCore.Http.HttpResults;

namespace Memory.Server.Endpoints;

/// <summary>The 404 every id lookup gives, whether the id never existed or belongs to another tenant.</summary>
internal static class NotFoundProblem
{
    public static ProblemHttpResult Memory(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Memory not found",
            detail: $"No memory with id '{Truncate(id)}' exists for this API key.");

    // The id is echoed to help the caller, but a long one is cut so an error never balloons.
    private static string Truncate(string id) => id.Length <= 100 ? id : id[..100] + "...";
}
