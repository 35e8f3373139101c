using System.Text.RegularExpressions;
using Memory.Conversations.Errors;
using Memory.Inference.Chat;
using Memory.Inference.Serving;
using Memory.KvCache;
using Memory.Server.Contracts.Kv;
using Memory.Server.Contracts.OpenAI;
using Memory.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Memory.Server.Endpoints;

/// <summary>
/// The KV cache: <c>GET /v1/kv/stats</c>, <c>POST /v1/kv/pin</c> and <c>/v1/kv/unpin</c> (a prefix by messages, text
/// or tokens), <c>DELETE /v1/kv</c> (by model and/or conversation). Blocks are shared by content, so stats are the
/// server's; pins and deletes are the caller's tenant's own.
/// </summary>
internal static partial class KvEndpoints
{
    public static IEndpointRouteBuilder MapKvEndpoints(this IEndpointRouteBuilder routes)
    {
        var kv = routes.MapGroup("/v1/kv").WithTags("KV cache").RequireAuthorization().ProducesProblem(StatusCodes.Status401Unauthorized);
        kv.MapGet("/stats", StatsAsync).WithName("KvStats").WithSummary("Blocks, bytes and hit rate per tier (host, disk, redis), metadata totals, prefix reuse.");
        kv.MapPost("/pin", (KvPinBody body, CallerTenant tenant, LocalModelHost host, KvCacheStore store, KvPrefixCache cache, CancellationToken ct) => PinAsync(body, tenant, host, store, cache, true, ct))
            .WithName("KvPin").WithSummary("Keep a prefix's blocks in every tier (never evicted), also blocks not computed yet.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status501NotImplemented);
        kv.MapPost("/unpin", (KvPinBody body, CallerTenant tenant, LocalModelHost host, KvCacheStore store, KvPrefixCache cache, CancellationToken ct) => PinAsync(body, tenant, host, store, cache, false, ct))
            .WithName("KvUnpin").WithSummary("Release this tenant's pin on a prefix (other tenants' pins stay).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status501NotImplemented);
        kv.MapDelete("", DeleteAsync).WithName("KvDelete")
            .WithSummary("Delete the blocks this tenant produced for a model (its id or kv_model_id) and/or a conversation (conversation_id of chat requests).")
            .ProducesValidationProblem();
        return routes;
    }

    private static async Task<Ok<KvStatsResponse>> StatsAsync(KvCacheStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(KvStatsResponse.From(await store.StatsAsync(cancellationToken)));

    private static async Task<Results<Ok<KvPinResponse>, ProblemHttpResult>> PinAsync(
        KvPinBody body, CallerTenant tenant, LocalModelHost host, KvCacheStore store, KvPrefixCache cache, bool pinned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        body.Validate();
        var model = await host.GetAsync(cancellationToken);
        if (body.Model is { Length: > 0 } requested && !string.Equals(requested, model.Name, StringComparison.OrdinalIgnoreCase))
        {
            return ChatCompletionEndpoints.UnknownModel(requested, model);
        }

        int[] tokens = Tokens(body, model);
        var result = await store.PinAsync(tenant.Id, cache.ModelFor(model.Identity, tenant.Id), tokens, pinned, cancellationToken);
        return TypedResults.Ok(new KvPinResponse(pinned, tokens.Length, result.Blocks, result.Blocks * store.BlockSize, result.StoredBlocks, result.Keys));
    }

    private static async Task<Ok<KvDeleteResponse>> DeleteAsync(
        string? model, string? conversation, CallerTenant tenant, LocalModelHost host, KvCacheStore store, KvPrefixCache cache, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(model) && string.IsNullOrWhiteSpace(conversation))
        {
            throw new MemoryValidationException("model", "Give 'model', 'conversation', or both: deleting every block of a tenant at once is not offered.");
        }

        string? modelId = null;
        if (!string.IsNullOrWhiteSpace(model))
        {
            if (host.Loaded is { } loaded && string.Equals(model, loaded.Name, StringComparison.OrdinalIgnoreCase))
            {
                modelId = cache.ModelFor(loaded.Identity, tenant.Id).Id;
            }
            else if (ModelIdPattern().IsMatch(model))
            {
                modelId = model;
            }
            else
            {
                throw new MemoryValidationException("model", $"'{(model.Length <= 100 ? model : model[..100] + "...")}' is neither the served model's id nor a kv_model_id (16 hex digits, GET /v1/models).");
            }
        }

        int deleted = await store.DeleteAsync(tenant.Id, modelId, string.IsNullOrWhiteSpace(conversation) ? null : conversation, cancellationToken);
        return TypedResults.Ok(new KvDeleteResponse(deleted));
    }

    private static int[] Tokens(KvPinBody body, LocalModel model)
    {
        if (body.Tokens is not null)
        {
            int vocab = model.Config.VocabSize;
            int bad = body.Tokens.FindIndex(t => (uint)t >= (uint)vocab);
            return bad < 0 ? [.. body.Tokens] : throw new MemoryValidationException("tokens", $"tokens[{bad}] = {body.Tokens[bad]} is outside the model's vocabulary of {vocab}.");
        }

        if (body.Text is not null)
        {
            return model.Encode(body.Text);
        }

        try
        {
            return model.EncodeChat(body.Messages!.Select((m, i) => new ChatTurn(m.TemplateRole, m.Text(i))).ToList(), addGenerationPrompt: false);
        }
        catch (ChatTemplateException exception)
        {
            throw new MemoryValidationException("messages", exception.Message);
        }
    }

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex ModelIdPattern();
}
