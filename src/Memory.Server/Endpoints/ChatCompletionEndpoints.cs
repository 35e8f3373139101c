using System.Text.Json;
using Memory.Inference.Serving;
using Memory.Server.Contracts.OpenAI;
using Memory.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Memory.Server.Endpoints;

/// <summary>
/// OpenAI-compatible <c>POST /v1/chat/completions</c> (plain and server-sent-event streaming) and <c>GET /v1/models</c>
/// over the local model, so OpenAI clients (Semantic Kernel's and Microsoft.Extensions.AI's connectors among them)
/// talk to it unchanged. Prompts that share a prefix with earlier ones reuse its cached KV; usage reports how many
/// prompt tokens came from the cache (prompt_tokens_details.cached_tokens).
/// </summary>
internal static class ChatCompletionEndpoints
{
    public static IEndpointRouteBuilder MapChatCompletionEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/chat/completions", CompleteAsync).WithName("CreateChatCompletion").WithTags("Local model").RequireAuthorization()
            .WithSummary("A chat completion from the local model (OpenAI shape; stream: true for server-sent events).")
            .Produces<ChatCompletionResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status501NotImplemented).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        routes.MapGet("/v1/models", ListModelsAsync).WithName("ListModels").WithTags("Local model").RequireAuthorization()
            .WithSummary("The models this server serves (the local model, when one is configured).")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return routes;
    }

    private static async Task<Ok<ModelList>> ListModelsAsync(LocalModelHost host, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!host.IsConfigured)
        {
            return TypedResults.Ok(new ModelList("list", []));
        }

        var model = await host.GetAsync(cancellationToken);
        return TypedResults.Ok(new ModelList("list", [Describe(model, services)]));
    }

    private static async Task<IResult> CompleteAsync(
        ChatCompletionBody body, CallerTenant tenant, LocalModelHost host, [FromKeyedServices(LocalChatClient.ServiceKey)] IChatClient chat, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        body.Validate();
        var model = await host.GetAsync(cancellationToken);
        if (body.Model is { Length: > 0 } requested && !string.Equals(requested, model.Name, StringComparison.OrdinalIgnoreCase))
        {
            return UnknownModel(requested, model);
        }

        var messages = body.Messages!.Select((m, i) => new ChatMessage(new ChatRole(m.TemplateRole), m.Text(i))).ToList();
        var options = new ChatOptions
        {
            ModelId = model.Name,
            MaxOutputTokens = body.MaxCompletionTokens ?? body.MaxTokens,
            Temperature = body.Temperature,
            TopP = body.TopP,
            TopK = body.TopK,
            Seed = body.Seed,
            StopSequences = body.StopSequences().ToList(),
            AdditionalProperties = new AdditionalPropertiesDictionary { [LocalChatClient.OriginKey] = new KvBlockOrigin(tenant.Id, body.ConversationId) },
        };

        if (body.Stream == true)
        {
            await StreamAsync(chat, messages, options, model.Name, body.StreamOptions?.IncludeUsage == true, context, cancellationToken);
            return Results.Empty;
        }

        var response = await chat.GetResponseAsync(messages, options, cancellationToken);
        return TypedResults.Ok(new ChatCompletionResponse(
            response.ResponseId ?? "chatcmpl-" + Guid.NewGuid().ToString("N"),
            "chat.completion",
            Created(response.CreatedAt),
            model.Name,
            [new ChatCompletionChoice(0, new ChatCompletionMessage("assistant", response.Text), FinishReasonOf(response.FinishReason))],
            Usage(response.Usage)));
    }

    /// <summary>Server-sent events as OpenAI sends them: role first, content pieces, the finish reason, usage if asked, [DONE].</summary>
    private static async Task StreamAsync(IChatClient chat, List<ChatMessage> messages, ChatOptions options, string model, bool includeUsage, HttpContext context, CancellationToken cancellationToken)
    {
        var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var updates = chat.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = Created(null);

        // The first update comes only after the prefill; errors up to then (a refused prompt, a busy loop) still
        // become ProblemDetails, since no byte of the stream has been written.
        bool hasFirst = await updates.MoveNextAsync();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await WriteAsync(context, json, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatCompletionChunkChoice(0, new ChatCompletionMessage("assistant", ""), null)]), cancellationToken);
        UsageDetails? usage = null;
        for (bool more = hasFirst; more; more = await updates.MoveNextAsync())
        {
            var update = updates.Current;
            usage ??= update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
            if (update.Text.Length > 0)
            {
                await WriteAsync(context, json, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatCompletionChunkChoice(0, new ChatCompletionMessage(null, update.Text), null)]), cancellationToken);
            }

            if (update.FinishReason is { } finish)
            {
                await WriteAsync(context, json, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatCompletionChunkChoice(0, new ChatCompletionMessage(null, null), FinishReasonOf(finish))]), cancellationToken);
            }
        }

        await updates.DisposeAsync();
        if (includeUsage)
        {
            await WriteAsync(context, json, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [], Usage(usage)), cancellationToken);
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteAsync(HttpContext context, JsonSerializerOptions json, ChatCompletionChunk chunk, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, json) + "\n\n", cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    internal static ModelItem Describe(LocalModel model, IServiceProvider services)
    {
        var cache = services.GetService<Memory.KvCache.KvPrefixCache>();
        string kvModelId = cache?.ModelFor(model.Identity, KvBlockOrigin.DefaultTenant).Id ?? "";
        return new ModelItem(model.Name, "model", Created(null), "memory", kvModelId, model.Scheduler.Capacity.MaxTokensPerSequence);
    }

    internal static ProblemHttpResult UnknownModel(string requested, LocalModel model) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Model not found",
        detail: $"This server serves model '{model.Name}', not '{(requested.Length <= 100 ? requested : requested[..100] + "...")}'.");

    private static ChatCompletionUsage Usage(UsageDetails? usage)
    {
        int prompt = (int)(usage?.InputTokenCount ?? 0);
        int completion = (int)(usage?.OutputTokenCount ?? 0);
        return new ChatCompletionUsage(prompt, completion, prompt + completion, new PromptTokensDetails((int)(usage?.CachedInputTokenCount ?? 0)));
    }

    private static string FinishReasonOf(ChatFinishReason? reason) => reason == ChatFinishReason.Length ? "length" : "stop";

    private static long Created(DateTimeOffset? at) => (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
}
