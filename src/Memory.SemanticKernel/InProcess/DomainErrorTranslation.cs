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
        ChatModelUnavailableException => Unavailable("Chat model unavailable", exception),
        ExtractionQueueFullException => Unavailable("Extraction queue full", exception),
        ChatModelRejectedException => new MemoryApiException(
            new MemoryApiProblem(HttpStatusCode.BadGateway, "Chat model refused the call") { Detail = exception.Message }, exception),
        MemoryConflictException => new MemoryApiException(
            new MemoryApiProblem(HttpStatusCode.Conflict, "Memory changed meanwhile") { Detail = exception.Message + " Retry the request." }, exception),
        _ => null,
    };

    public static MemoryApiNotFoundException ExtractionNotFound(string id) =>
        new(new MemoryApiProblem(HttpStatusCode.NotFound, "Extraction not found")
        {
            Detail = $"No background extraction with id '{Shorten(id)}' exists for this tenant (finished jobs are kept for a while, not forever).",
        });

    // Same wait as the server's Retry-After for chat-model and queue failures.
    private static MemoryApiUnavailableException Unavailable(string title, Exception exception) =>
        new(new MemoryApiProblem(HttpStatusCode.ServiceUnavailable, title) { Detail = exception.Message, RetryAfter = TimeSpan.FromSeconds(10) }, exception);

    private static string Shorten(string id) => id.Length <= 100 ? id : id[..100] + "...";

    public static MemoryApiNotFoundException NotFound(string id) =>
        new(new MemoryApiProblem(HttpStatusCode.NotFound, "Memory not found")
        {
            Detail = $"No memory with id '{Shorten(id)}' exists for this tenant.",
        });
}
