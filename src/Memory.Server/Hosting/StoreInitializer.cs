using Memory.Conversations.Storage;

namespace Memory.Server.Hosting;

/// <summary>Creates or migrates the store's schema before the server takes requests.</summary>
internal sealed class StoreInitializer(IMemoryStore store, ILogger<StoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        logger.LogInformation("Memory store '{Store}' is ready.", store.Name);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
