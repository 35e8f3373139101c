using System.Runtime.CompilerServices;
using Memory.Inference.Chat;
using Memory.Inference.Decoding;
using Microsoft.Extensions.AI;

namespace Memory.Inference.Serving;

/// <summary>
/// <see cref="IChatClient"/> over the local model: the chat template renders the messages, the generation loop
/// completes them (reusing cached KV prefixes), and text streams out as it is decoded. Used in-process (the
/// extraction pipeline, Semantic Kernel) and behind the server's OpenAI-compatible <c>/v1/chat/completions</c>.
/// Tools and constrained JSON output are not supported by the local decoder: a request with tools is refused, and a
/// response format is ignored (the caller parses leniently).
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    /// <summary>Key of the keyed <see cref="IChatClient"/> registration of the local model (Extraction:Provider Local resolves it).</summary>
    public const string ServiceKey = "local";

    private readonly Func<CancellationToken, ValueTask<LocalModel>> _model;

    /// <param name="model">The model, loaded on first use by the host.</param>
    public LocalChatClient(Func<CancellationToken, ValueTask<LocalModel>> model)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
    }

    /// <summary>Who the generated KV blocks are recorded for (tenant, conversation); the embedded default tenant when unset.</summary>
    public static string OriginKey => "memory.kv_origin";

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (options?.Tools is { Count: > 0 })
        {
            throw new NotSupportedException("the local model does not support tool calls; remove the tools or use an OpenAI-compatible endpoint that does");
        }

        var model = await _model(cancellationToken);
        var turns = messages.Select(m => new ChatTurn(m.Role.Value, m.Text)).ToList();
        int[] prompt;
        try
        {
            prompt = model.EncodeChat(turns, addGenerationPrompt: true);
        }
        catch (ChatTemplateException exception)
        {
            throw new GenerationRejectedException(exception.Message, exception);
        }

        var request = new GenerationRequest(
            prompt,
            Sampling(options),
            options?.MaxOutputTokens ?? model.DefaultMaxTokens,
            model.StopTokens,
            options?.AdditionalProperties?.TryGetValue(OriginKey, out KvBlockOrigin? origin) == true && origin is not null ? origin : KvBlockOrigin.Default);

        // Stop sequences are text: when one appears the completion is cut there and the generation cancelled.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stream = model.Scheduler.Submit(request, stop.Token);
        var text = new IncrementalDetokenizer(model.Tokenizer);
        var stopSequences = options?.StopSequences?.Where(s => s.Length > 0).ToArray() ?? [];
        string responseId = "chatcmpl-" + Guid.NewGuid().ToString("N");
        bool stoppedByText = false;
        // A stop sequence may arrive over several tokens: hold back as many characters as the longest could still need.
        int holdBack = stopSequences.Length == 0 ? 0 : stopSequences.Max(s => s.Length) - 1;
        await foreach (int token in stream.Tokens.ReadAllAsync(CancellationToken.None))
        {
            text.Add(token);
            string piece;
            if (stopSequences.Length > 0 && Cut(text, stopSequences) is int cut)
            {
                piece = text.Release(cut);
                stoppedByText = true;
                await stop.CancelAsync();
            }
            else
            {
                piece = text.Release(text.CompleteLength - holdBack);
            }

            if (piece.Length > 0)
            {
                yield return Update(piece, model.Name, responseId);
            }

            if (stoppedByText)
            {
                break;
            }
        }

        var summary = await stream.Completion;
        cancellationToken.ThrowIfCancellationRequested();
        string rest = stoppedByText ? string.Empty : text.Flush();
        var final = Update(rest, model.Name, responseId);
        final.FinishReason = stoppedByText || summary.FinishReason == FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;
        final.Contents.Add(new UsageContent(new UsageDetails
        {
            InputTokenCount = summary.PromptTokens,
            OutputTokenCount = summary.CompletionTokens,
            TotalTokenCount = summary.PromptTokens + summary.CompletionTokens,
            CachedInputTokenCount = summary.CachedPromptTokens,
        }));
        final.AdditionalProperties = new AdditionalPropertiesDictionary { ["generation"] = summary };
        yield return final;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // The model belongs to the host; nothing to release here.
    }

    private static SamplingOptions Sampling(ChatOptions? options)
    {
        if (options is null)
        {
            return SamplingOptions.Greedy;
        }

        return new SamplingOptions(
            options.Temperature ?? 0f,
            options.TopK ?? 0,
            options.TopP ?? 1f,
            options.Seed is long seed ? unchecked((int)seed) : 0);
    }

    /// <summary>Where the earliest stop sequence starts in text not released yet, if one has appeared.</summary>
    private static int? Cut(IncrementalDetokenizer text, string[] stopSequences)
    {
        int? cut = null;
        foreach (var sequence in stopSequences)
        {
            int at = text.Text.IndexOf(sequence, text.Released, StringComparison.Ordinal);
            if (at >= 0 && (cut is null || at < cut))
            {
                cut = at;
            }
        }

        return cut;
    }

    private static ChatResponseUpdate Update(string text, string model, string responseId) => new(ChatRole.Assistant, text)
    {
        ModelId = model,
        ResponseId = responseId,
        MessageId = responseId,
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
