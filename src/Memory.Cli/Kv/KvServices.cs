using Memory.KvCache;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Cli.Kv;

/// <summary>The KV cache as the server composes it (same "KvCache" and "Storage" settings), for one CLI command.</summary>
internal sealed class KvServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private KvServices(ServiceProvider provider) => _provider = provider;

    public KvCacheStore Store => _provider.GetRequiredService<KvCacheStore>();

    public KvPrefixCache Prefixes => _provider.GetRequiredService<KvPrefixCache>();

    public static async Task<KvServices> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables("MEMORY_").AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        services.AddKvCache(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var kv = new KvServices(provider);
        try
        {
            provider.GetService<IStartupValidator>()?.Validate();
            await kv.Store.InitializeAsync(cancellationToken);
            return kv;
        }
        catch
        {
            await kv.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
