using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Memory.Client.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on a loopback port that answers every request with one canned response: what a reverse
/// proxy or a server under maintenance sends, which the Memory server itself cannot be made to send on demand.
/// </summary>
internal sealed class CannedHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CannedHttpServer(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Urls.First() + "/");

    public static async Task<CannedHttpServer> StartAsync(int status, string contentType, string body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.Run(async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                context.Response.Headers[name] = value;
            }

            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        return new CannedHttpServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
