using System.ClientModel;
using System.Diagnostics;
using System.Text.Json;
using Memory.Conversations.Errors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Extraction;

/// <summary>
/// Asks the configured chat model for a JSON object: with a JSON schema as response format where the server
/// takes one, parsed leniently (<see cref="LenientJson"/>), checked by the caller's shape rule, and asked once
/// more with the parse error when the first answer is unusable. Transport failures are not answers: they raise
/// <see cref="ChatModelUnavailableException"/> (down, timeout, 5xx, 429) or <see cref="ChatModelRejectedException"/> (4xx).
/// </summary>
public sealed class ExtractionChat : IDisposable
{
    private readonly IChatClient? _client;
    private readonly ExtractionOptions _options;
    private readonly ExtractionMetrics _metrics;
    private readonly ILogger<ExtractionChat> _logger;
    private volatile bool _schemaRefused;

    /// <param name="options">The "Extraction" settings.</param>
    /// <param name="metrics">Counters of answers, retries and failures.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="localModel">The local model's chat client, used when Extraction:Provider is Local.</param>
    public ExtractionChat(
        IOptions<ExtractionOptions> options,
        ExtractionMetrics metrics,
        ILogger<ExtractionChat> logger,
        [FromKeyedServices(ExtractionOptions.LocalChatClientKey)] IChatClient? localModel = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _client = _options.Provider == ExtractionProvider.Local
            ? localModel ?? throw new InvalidOperationException("Extraction:Provider is Local but no local model is registered (the server registers it; set Decoder:ModelDirectory).")
            : ChatClientFactory.Create(_options);
        _metrics = metrics;
        _logger = logger;
    }

    public bool IsConfigured => _client is not null;

    /// <summary>"provider/model", for metadata and logs.</summary>
    public string ModelName => $"{_options.Provider}/{_options.Model}";

    public async Task<JsonAnswer> AskAsync(
        string promptName, string userContent, Func<JsonElement, string?> checkShape, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkShape);
        var client = _client ?? throw new InvalidOperationException("No extraction chat model is configured.");
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, PromptLibrary.Prompt(promptName, _options.PromptVersion)),
            new(ChatRole.User, userContent),
        };

        string? error = null;
        string? raw = null;
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var response = await CompleteAsync(client, promptName, messages, cancellationToken);
            raw = response.Text;
            var truncated = response.FinishReason == ChatFinishReason.Length;
            if (LenientJson.TryParse(raw, out var root, out var parseError))
            {
                error = root.ValueKind == JsonValueKind.Object ? checkShape(root) : "The answer is not a JSON object.";
                if (error is null)
                {
                    return JsonAnswer.Success(root, raw, attempt);
                }
            }
            else
            {
                error = truncated ? parseError + " The model stopped at its output-token limit." : parseError;
            }

            _metrics.MalformedAnswer(promptName);
            _logger.LogWarning("The {Prompt} answer of {Model} was unusable (attempt {Attempt}): {Error}", promptName, ModelName, attempt, error);
            messages.Add(new ChatMessage(ChatRole.Assistant, raw ?? string.Empty));
            messages.Add(new ChatMessage(ChatRole.User,
                $"Your answer could not be used: {error} Reply again with only the JSON object described in the instructions, complete and valid, with no other text."));
        }

        return JsonAnswer.Failure(error ?? "The answer was unusable.", raw, 2);
    }

    private async Task<ChatResponse> CompleteAsync(
        IChatClient client, string promptName, List<ChatMessage> messages, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        var clock = Stopwatch.StartNew();
        var useSchema = _options.StructuredOutput == StructuredOutputMode.JsonSchema && !_schemaRefused;
        try
        {
            try
            {
                return await client.GetResponseAsync(messages, Options(promptName, useSchema), timeout.Token);
            }
            catch (Exception exception) when (useSchema && IsBadRequest(exception) && !cancellationToken.IsCancellationRequested)
            {
                // Many OpenAI-compatible servers reject json_schema; plain JSON mode is the next best thing.
                _schemaRefused = true;
                _logger.LogWarning(exception, "{Model} refused a JSON-schema response format; using JSON mode from now on", ModelName);
                return await client.GetResponseAsync(messages, Options(promptName, useSchema: false), timeout.Token);
            }
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            _metrics.ModelUnavailable();
            throw new ChatModelUnavailableException(
                $"The extraction chat model {ModelName} did not answer within Extraction:TimeoutSeconds ({_options.TimeoutSeconds} s); nothing was stored.", exception);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw Classify(exception);
        }
        finally
        {
            _metrics.CallDuration(promptName, clock.Elapsed);
        }
    }

    private ChatOptions Options(string promptName, bool useSchema)
    {
        var options = new ChatOptions
        {
            Temperature = (float)_options.Temperature,
            MaxOutputTokens = _options.MaxOutputTokens,
        };
        if (useSchema)
        {
            using var schema = JsonDocument.Parse(PromptLibrary.Schema(promptName, _options.PromptVersion));
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement.Clone(), promptName.Replace('-', '_'), $"Answer of the {promptName} prompt");
        }
        else if (_options.StructuredOutput != StructuredOutputMode.None)
        {
            options.ResponseFormat = ChatResponseFormat.Json;
        }

        return options;
    }

    private static bool IsBadRequest(Exception exception) => StatusOf(exception) == 400;

    private static int? StatusOf(Exception exception) => exception switch
    {
        ClientResultException result => result.Status,
        HttpRequestException http => (int?)http.StatusCode,
        _ => exception.InnerException is { } inner ? StatusOf(inner) : null,
    };

    private Exception Classify(Exception exception)
    {
        // An in-process model (the local decoder) refuses a request it can never run with an argument error.
        var status = StatusOf(exception) ?? (exception is ArgumentException ? 400 : null);
        if (status is >= 400 and < 500 and not 408 and not 429)
        {
            _logger.LogError(exception, "The extraction chat model {Model} refused the call with {Status}", ModelName, status);
            return new ChatModelRejectedException(
                $"The extraction chat model {ModelName} refused the call ({status}): {exception.Message} Check Extraction:Model, Extraction:ApiKey and Extraction:Endpoint; nothing was stored.",
                exception);
        }

        _metrics.ModelUnavailable();
        _logger.LogWarning(exception, "The extraction chat model {Model} is unavailable ({Status})", ModelName, status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer");
        return new ChatModelUnavailableException(
            $"The extraction chat model {ModelName} is unavailable{(status is { } s ? $" (HTTP {s})" : string.Empty)}: {exception.Message} Nothing was stored; retry later.",
            exception);
    }

    public void Dispose() => _client?.Dispose();
}
