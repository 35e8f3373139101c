using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Memory.Conversations.Tests.Infrastructure;

/// <summary>
/// A real OpenAI-compatible <c>POST /v1/chat/completions</c> server on a loopback port (Kestrel, port 0) that
/// answers from a script: the stand-in for a hosted chat model, which cannot exist here. Every request body is
/// kept for assertions. An exhausted script answers 500 with a message saying so.
/// </summary>
internal sealed class ScriptedChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ChatReply> _script = new();
    private readonly ConcurrentQueue<JsonElement> _requests = new();

    private ScriptedChatServer(WebApplication app) => _app = app;

    /// <summary>The base address an OpenAI client takes; kept after disposal, so a test can point at a server that is gone.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    public IReadOnlyList<JsonElement> Requests => [.. _requests];

    /// <summary>When set, answers a request whose body it accepts (returns non-null) before the script is consulted.</summary>
    public Func<JsonElement, ChatReply?>? Interceptor { get; set; }

    public static async Task<ScriptedChatServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new ScriptedChatServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();
        server.Endpoint = app.Urls.First() + "/v1";
        return server;
    }

    public ScriptedChatServer Then(params ChatReply[] replies)
    {
        foreach (var reply in replies)
        {
            _script.Enqueue(reply);
        }

        return this;
    }

    /// <summary>The text of every message of request <paramref name="index"/>, joined.</summary>
    public string MessagesOf(int index) =>
        string.Join("\n", Requests[index].GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").ToString()));

    private async Task HandleAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var request = body.RootElement.Clone();
        _requests.Enqueue(request);
        var reply = Interceptor?.Invoke(request)
            ?? (_script.TryDequeue(out var next) ? next : new ChatReply("The test script has no answer left for this call.", 500));
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.ContentType = "application/json";
        if (reply.Status != 200)
        {
            context.Response.StatusCode = reply.Status;
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { message = reply.Content ?? "scripted failure", type = "server_error" } }));
            return;
        }

        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-" + Guid.NewGuid().ToString("N"),
            @object = "chat.completion",
            created = 1_700_000_000,
            model = request.GetProperty("model").GetString(),
            choices = new[]
            {
                new { index = 0, message = new { role = "assistant", content = reply.Content }, finish_reason = reply.FinishReason },
            },
            usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
