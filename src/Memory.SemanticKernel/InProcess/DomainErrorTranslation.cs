using System.Data.Common;
using System.Net;
using Memory.Client;
using Memory.Conversations.Errors;

namespace Memory.SemanticKernel.InProcess;

/// <summary>
/// Turns the engine's exceptions into the client exceptions the REST server's answers would have produced, so
/// code over <see cref="IMemoryClient"/> handles both implementations alike.
/// </summary>
internal static class DomainErrorTranslation
{
    public static MemoryApiException? Translate(Exception exception) => exception switch
    {
        MemoryValidationException validation => new MemoryApiValidationException(
            new MemoryApiProblem(HttpStatusCode.BadRequest, "Invalid request")
            {
                Detail = validation.Message,
                Errors = new Dictionary<string, string[]>
                {
                    [string.IsNullOrEmpty(validation.Field) ? "request" : validation.Field] = [validation.Message],
                },
            },
            validation),
        InferenceUnavailableException => new MemoryApiException(
            new MemoryApiProblem(HttpStatusCode.NotImplemented, "Inference unavailable") { Detail = exception.Message }, exception),
        EmbeddingFailedException => new MemoryApiException(
            new MemoryApiProblem(HttpStatusCode.BadGateway, "Embedding failed") { Detail = exception.Message + " Nothing was written." }, exception),
        DbException { IsTransient: true } => new MemoryApiUnavailableException(
            new MemoryApiProblem(HttpStatusCode.ServiceUnavailable, "Store unavailable")
            {
                Detail = "The memory store cannot be reached right now; retry later.",
                RetryAfter = TimeSpan.FromSeconds(5),
            },
            exception),
        _ => null,
    };

    public static MemoryApiNotFoundException NotFound(string id) =>
        new(new MemoryApiProblem(HttpStatusCode.NotFound, "Memory not found")
        {
            Detail = $"No memory with id '{(id.Length <= 100 ? id : id[..100] + "...")}' exists for this tenant.",
        });
}
