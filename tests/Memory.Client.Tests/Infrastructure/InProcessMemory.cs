using Memory.SemanticKernel.InProcess;
using Memory.Storage;
using Memory.Conversations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Memory.Client.Tests.Infrastructure;

/// <summary>
/// The memory engine hosted in the test process (no HTTP): a fresh embedded SQLite file, or the test PostgreSQL
/// server; one tenant unique to this fixture, whose data is reset when it ends; the in-process client.
/// </summary>
public class InProcessMemory : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "memory-client-tests", Guid.NewGuid().ToString("N"));
    private IHost _host = null!;

    public string Tenant { get; } = "inproc-" + Guid.NewGuid().ToString("N")[..12];

    public IMemoryClient Client => _host.Services.GetRequiredService<IMemoryClient>();

    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=memory;Password=memory;Database=memory_test";

    /// <summary>The store settings; SQLite in a fresh folder unless a subclass says otherwise.</summary>
    protected virtual Dictionary<string, string?> StoreSettings(string directory) =>
        new() { ["Storage:SqlitePath"] = Path.Combine(directory, "memory.db") };

    public static HostApplicationBuilder CreateBuilder(string sqlitePath, Action<InProcessMemoryClientOptions> configure) =>
        CreateBuilder(new Dictionary<string, string?> { ["Storage:SqlitePath"] = sqlitePath }, configure);

    public static HostApplicationBuilder CreateBuilder(Dictionary<string, string?> storeSettings, Action<InProcessMemoryClientOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(storeSettings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMemoryStorage(builder.Configuration);
        builder.Services.AddConversationMemory(builder.Configuration);
        builder.Services.AddInProcessMemoryClient(configure);
        return builder;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _host = CreateBuilder(StoreSettings(_directory), options => options.Tenant = Tenant).Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        // The PostgreSQL database is shared with other test runs: leave no data of this tenant behind.
        await Client.ResetAsync();
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
