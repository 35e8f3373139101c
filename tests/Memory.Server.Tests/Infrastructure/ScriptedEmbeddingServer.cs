using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Memory.Server.Tests.Infrastructure;

/// <summary>
/// A real OpenAI-compatible <c>POST /v1/embeddings</c> server on a loopback port with scripted answers: the stand-in
/// for a hosted embedding model, which cannot exist here.
/// </summary>
internal sealed class ScriptedEmbeddingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private ScriptedEmbeddingServer(WebApplication app, int dimensions)
    {
        _app = app;
        Dimensions = dimensions;
    }

    public int Dimensions { get; }

    public EmbeddingAnswer Answer { get; set; } = EmbeddingAnswer.Good;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The "encoding_format" of the last request (the OpenAI client asks for base64).</summary>
    public string? LastEncodingFormat { get; private set; }

    public string Endpoint => _app.Urls.First() + "/v1";

    public static async Task<ScriptedEmbeddingServer> StartAsync(int dimensions)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new ScriptedEmbeddingServer(app, dimensions);
        app.MapPost("/v1/embeddings", server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        var inputs = request.RootElement.GetProperty("input") switch
        {
            { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList(),
            var single => [single.GetString() ?? string.Empty],
        };
        LastEncodingFormat = request.RootElement.TryGetProperty("encoding_format", out var format) ? format.GetString() : null;
        var base64 = LastEncodingFormat == "base64";

        switch (Answer)
        {
            case EmbeddingAnswer.ServerError:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync("""{"error": {"message": "model crashed", "type": "server_error"}}""");
                return;
            case EmbeddingAnswer.Garbage:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("<html>this is not an embedding</html>");
                return;
        }

        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = VectorFor(inputs[i]);
            writer.WriteStartObject();
            writer.WriteString("object", "embedding");
            writer.WriteNumber("index", i);
            if (base64)
            {
                var bytes = new byte[vector.Length * sizeof(float)];
                Buffer.BlockCopy(vector, 0, bytes, 0, bytes.Length);
                writer.WriteString("embedding", Convert.ToBase64String(bytes));
            }
            else
            {
                writer.WriteStartArray("embedding");
                foreach (var value in vector)
                {
                    if (float.IsFinite(value))
                    {
                        writer.WriteNumberValue(value);
                    }
                    else
                    {
                        writer.WriteStringValue("NaN");
                    }
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("model", request.RootElement.GetProperty("model").GetString());
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", inputs.Count);
        writer.WriteNumber("total_tokens", inputs.Count);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }

    private float[] VectorFor(string text)
    {
        var length = Answer == EmbeddingAnswer.WrongLength ? Dimensions - 1 : Dimensions;
        var vector = new float[length];
        foreach (var c in text)
        {
            vector[c % length] += 1;
        }

        vector[0] += 0.5f;
        if (Answer == EmbeddingAnswer.NaN)
        {
            vector[length / 2] = float.NaN;
        }

        return vector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
