using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;
using OpenAI.Chat;

namespace Memory.Conversations.Extraction;

/// <summary>Builds the configured <see cref="IChatClient"/>; null when no provider is configured.</summary>
public static class ChatClientFactory
{
    public static IChatClient? Create(ExtractionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            ExtractionProvider.None => null,
            ExtractionProvider.OpenAI => CreateOpenAI(options),
            ExtractionProvider.Ollama => CreateOllama(options),
            ExtractionProvider.Local => throw new InvalidOperationException("the Local provider's client comes from the host's services, not from settings"),
            _ => throw new InvalidOperationException($"Unknown extraction provider {options.Provider}."),
        };
    }

    private static IChatClient CreateOpenAI(ExtractionOptions options)
    {
        var clientOptions = new OpenAIClientOptions
        {
            NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),

            // The pipeline decides about retries itself (one retry for a bad answer; background jobs back off);
            // the client's own retries would multiply the wait on a dead endpoint.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        if (!string.IsNullOrWhiteSpace(options.Endpoint))
        {
            clientOptions.Endpoint = new Uri(options.Endpoint);
        }

        // Local OpenAI-compatible servers often need no key, but the client insists on one.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "no-key" : options.ApiKey;
        return new ChatClient(options.Model, new ApiKeyCredential(key), clientOptions).AsIChatClient();
    }

    private static OllamaApiClient CreateOllama(ExtractionOptions options)
    {
        var http = new HttpClient
        {
            BaseAddress = new Uri(options.Endpoint!),
            Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
        };
        return new OllamaApiClient(http, options.Model!);
    }
}
