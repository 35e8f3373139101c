namespace Memory.Server.Tests.Infrastructure;

/// <summary>One host per test class: SQLite store, two keys for two tenants.</summary>
public sealed class KeyedSqliteServer : IAsyncLifetime
{
    internal TestKeys Keys { get; } = new();

    internal ServerHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ServerHost.StartAsync(Keys.Settings(TestStores.Sqlite()));

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
