using Memory.Conversations;
using Memory.Conversations.Storage;
using Memory.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Cli.Hosting;

/// <summary>
/// The same engine the server runs (Mediator handlers, embedder, retriever, store), composed for one CLI
/// command. Configuration: environment variables prefixed MEMORY_ (MEMORY_Embeddings__Provider=...), then the
/// command's own settings, which win.
/// </summary>
public sealed class EngineServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private EngineServices(ServiceProvider provider, IConfiguration configuration)
    {
        _provider = provider;
        Configuration = configuration;
    }

    public IServiceProvider Services => _provider;

    public IConfiguration Configuration { get; }

    public IMemoryStore Store => _provider.GetRequiredService<IMemoryStore>();

    public static async Task<EngineServices> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables("MEMORY_")
            .AddInMemoryCollection(settings)
            .Build();

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging
            .AddConfiguration(configuration.GetSection("Logging"))
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Warning));
        services.AddMemoryStorage(configuration);
        services.AddConversationMemory(configuration);

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var engine = new EngineServices(provider, configuration);
        try
        {
            // ValidateOnStart only fires inside a host; a CLI asks for the same checks itself.
            provider.GetService<IStartupValidator>()?.Validate();
            await engine.Store.InitializeAsync(cancellationToken);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync();
}
