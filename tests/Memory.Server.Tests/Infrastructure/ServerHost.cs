using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Memory.Server.Tests.Infrastructure;

/// <summary>The real Memory host on a loopback port (Kestrel, port 0), configured in memory; clients are real HttpClients.</summary>
internal sealed class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];

    private ServerHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IReadOnlyList<string> Urls => [.. _app.Urls];

    public IServiceProvider Services => _app.Services;

    public static async Task<ServerHost> StartAsync(IDictionary<string, string?> settings, string urls = "http://127.0.0.1:0")
    {
        var merged = new Dictionary<string, string?>(settings)
        {
            ["Logging:LogLevel:Default"] = settings.TryGetValue("Logging:LogLevel:Default", out var level) ? level : "Warning",
        };
        var app = ServerApplication.Build(["--urls", urls], builder => builder.Configuration.AddInMemoryCollection(merged));
        await app.StartAsync();
        var address = app.Urls.First();
        return new ServerHost(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>A client sending the key as Mem0 clients do (<c>Authorization: Token KEY</c>), or none.</summary>
    public HttpClient CreateClient(string? apiKey = null, string scheme = "Token")
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, apiKey);
        }

        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
