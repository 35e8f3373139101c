using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Memory.Client.Tests.Infrastructure;

/// <summary>
/// The real Memory server (its own Program) on Kestrel at a loopback port, over a fresh embedded SQLite file,
/// with two API keys for two tenants. Clients talk real HTTP to it.
/// </summary>
public sealed class MemoryServerFactory : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "memory-client-tests", Guid.NewGuid().ToString("N"));
    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="settings">Extra configuration for the server (e.g. the Extraction section).</param>
    public MemoryServerFactory(IReadOnlyDictionary<string, string>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string>();
        UseKestrel(0);
    }

    public string AlphaKey { get; } = "alpha-" + Guid.NewGuid().ToString("N");

    public string BravoKey { get; } = "bravo-" + Guid.NewGuid().ToString("N");

    public string AlphaTenant { get; } = "alpha-" + Guid.NewGuid().ToString("N")[..12];

    public string BravoTenant { get; } = "bravo-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The server's root address with a trailing slash (valid after <see cref="Start"/>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public MemoryServerFactory Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var address = addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return this;
    }

    /// <summary>A client as an application would build it: options applied to a plain HttpClient.</summary>
    public MemoryClient CreateMemoryClient(string? apiKey, string scheme = "Token") =>
        MemoryClient.Create(new HttpClient(), new MemoryClientOptions { BaseAddress = BaseAddress, ApiKey = apiKey, AuthenticationScheme = scheme });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        builder.UseEnvironment("Production");
        builder.UseSetting("Storage:SqlitePath", Path.Combine(_directory, "memory.db"));
        builder.UseSetting("Auth:Keys:0:Key", AlphaKey);
        builder.UseSetting("Auth:Keys:0:Tenant", AlphaTenant);
        builder.UseSetting("Auth:Keys:1:Key", BravoKey);
        builder.UseSetting("Auth:Keys:1:Tenant", BravoTenant);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_directory))
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // SQLite may still hold the file for a moment on some systems; the temp folder is cleaned eventually.
            }
        }
    }
}
