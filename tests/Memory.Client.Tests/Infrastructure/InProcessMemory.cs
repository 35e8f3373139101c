using Memory.SemanticKernel.InProcess;
using Memory.Storage;
using Memory.Conversations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Memory.Client.Tests.Infrastructure;

/// <summary>The memory engine hosted in the test process (no HTTP): embedded SQLite file, one tenant, the in-process client.</summary>
public sealed class InProcessMemory : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "memory-client-tests", Guid.NewGuid().ToString("N"));
    private IHost _host = null!;

    public string Tenant { get; } = "inproc-" + Guid.NewGuid().ToString("N")[..12];

    public IMemoryClient Client => _host.Services.GetRequiredService<IMemoryClient>();

    public static HostApplicationBuilder CreateBuilder(string sqlitePath, Action<InProcessMemoryClientOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:SqlitePath"] = sqlitePath });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMemoryStorage(builder.Configuration);
        builder.Services.AddConversationMemory(builder.Configuration);
        builder.Services.AddInProcessMemoryClient(configure);
        return builder;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _host = CreateBuilder(Path.Combine(_directory, "memory.db"), options => options.Tenant = Tenant).Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled SQLite connection may still hold the file; the temp folder is cleaned eventually.
        }
    }
}
