using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Memory.Client.Tests.Infrastructure;

/// <summary>
/// A real OpenAI-compatible <c>POST /v1/chat/completions</c> server on a loopback port: the stand-in for a hosted LLM,
/// which cannot exist here. It answers with scripted replies in order and records every request body it got, so
/// tests can check what the model was shown.
/// </summary>
internal sealed class ScriptedChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedReply> _replies = new();
    private readonly List<JsonElement> _requests = [];
    private int _callIds;

    private ScriptedChatServer(WebApplication app) => _app = app;

    /// <summary>The OpenAI-style base address (…/v1).</summary>
    public Uri Endpoint => new(_app.Urls.First() + "/v1");

    public IReadOnlyList<JsonElement> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<ScriptedChatServer> StartAsync(params ScriptedReply[] replies)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new ScriptedChatServer(app);
        foreach (var reply in replies)
        {
            server._replies.Enqueue(reply);
        }

        app.MapPost("/v1/chat/completions", server.AnswerAsync);
        await app.StartAsync();
        return server;
    }

    /// <summary>Adds replies to the end of the script.</summary>
    public void Enqueue(params ScriptedReply[] replies)
    {
        foreach (var reply in replies)
        {
            _replies.Enqueue(reply);
        }
    }

    /// <summary>The messages (role, text) of request <paramref name="index"/>, as the model received them.</summary>
    public IReadOnlyList<(string Role, string Content)> MessagesOf(int index) =>
        [.. Requests[index].GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString()!, ContentOf(m)))];

    private static string ContentOf(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return string.Empty;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(p => p.TryGetProperty("text", out var t) ? t.GetString() : string.Empty)),
            _ => string.Empty,
        };
    }

    private async Task AnswerAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        var request = document.RootElement.Clone();
        lock (_requests)
        {
            _requests.Add(request);
        }

        if (request.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            await ErrorAsync(context, 400, "The scripted server does not stream.");
            return;
        }

        if (!_replies.TryDequeue(out var reply))
        {
            await ErrorAsync(context, 500, "The script has no reply left for this request.");
            return;
        }

        string? tool = null;
        if (reply.ToolNameSuffix is { } suffix)
        {
            tool = OfferedTools(request).FirstOrDefault(name => name.EndsWith(suffix, StringComparison.Ordinal));
            if (tool is null)
            {
                await ErrorAsync(context, 400, $"The script calls a tool ending with '{suffix}' but the request offered: [{string.Join(", ", OfferedTools(request))}].");
                return;
            }
        }

        var model = request.TryGetProperty("model", out var m) ? m.GetString() : "scripted";
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("id", $"chatcmpl-{Interlocked.Increment(ref _callIds)}");
        writer.WriteString("object", "chat.completion");
        writer.WriteNumber("created", 1_764_000_000);
        writer.WriteString("model", model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        if (tool is not null)
        {
            writer.WriteNull("content");
            writer.WriteStartArray("tool_calls");
            writer.WriteStartObject();
            writer.WriteString("id", $"call_{Interlocked.Increment(ref _callIds)}");
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", tool);
            writer.WriteString("arguments", reply.ArgumentsJson ?? "{}");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteString("finish_reason", "tool_calls");
        }
        else
        {
            writer.WriteString("content", reply.Text);
            writer.WriteEndObject();
            writer.WriteString("finish_reason", "stop");
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", 10);
        writer.WriteNumber("completion_tokens", 5);
        writer.WriteNumber("total_tokens", 15);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }

    private static IEnumerable<string> OfferedTools(JsonElement request) =>
        request.TryGetProperty("tools", out var tools)
            ? tools.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()!)
            : [];

    private static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["error"] = new Dictionary<string, string> { ["message"] = message, ["type"] = "scripted_server_error" },
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
