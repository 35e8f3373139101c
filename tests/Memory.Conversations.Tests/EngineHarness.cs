using Mediator;
using Memory.Conversations.Storage;
using Memory.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Memory.Conversations.Tests;

/// <summary>
/// The engine as the server composes it (AddMemoryStorage + AddConversationMemory) on a real store: a fresh
/// SQLite file, or a fresh schema of the test PostgreSQL database (env MEMORY_TEST_POSTGRES). Each harness
/// also gets its own tenant.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=memory;Password=memory;Database=memory_test";

    private readonly ServiceProvider _provider;
    private readonly AsyncServiceScope _scope;
    private readonly Func<Task> _cleanup;

    private EngineHarness(ServiceProvider provider, Func<Task> cleanup)
    {
        _provider = provider;
        _scope = provider.CreateAsyncScope();
        _cleanup = cleanup;
    }

    public string Tenant { get; } = "tenant-" + Guid.NewGuid().ToString("N");

    public IMediator Mediator => _scope.ServiceProvider.GetRequiredService<IMediator>();

    public IMemoryStore Store => _provider.GetRequiredService<IMemoryStore>();

    public IServiceProvider Services => _scope.ServiceProvider;

    public static async Task<EngineHarness> StartAsync(
        string storeKind,
        IEmbeddingGenerator<string, Embedding<float>>? generator = null,
        IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        Func<Task> cleanup;
        if (storeKind == "postgres")
        {
            var baseConnection = Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultPostgres;
            var schema = "conv_" + Guid.NewGuid().ToString("N");
            await ExecuteAsync(baseConnection, $"CREATE SCHEMA {schema}");
            values["Storage:PostgresConnectionString"] =
                new NpgsqlConnectionStringBuilder(baseConnection) { SearchPath = $"{schema},public" }.ConnectionString;
            cleanup = () => ExecuteAsync(baseConnection, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), $"conv-test-{Guid.NewGuid():N}.db");
            values["Storage:SqlitePath"] = path;
            cleanup = () =>
            {
                foreach (var file in new[] { path, path + "-wal", path + "-shm" })
                {
                    File.Delete(file);
                }

                return Task.CompletedTask;
            };
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddMemoryStorage(configuration);
        services.AddConversationMemory(configuration);
        if (generator is not null)
        {
            services.AddSingleton(generator);
        }

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        provider.GetService<IStartupValidator>()?.Validate();
        await provider.GetRequiredService<IMemoryStore>().InitializeAsync(CancellationToken.None);
        return new EngineHarness(provider, cleanup);
    }

    public ValueTask<T> Send<T>(IRequest<T> request) => Mediator.Send(request, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _scope.DisposeAsync();
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await _cleanup();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
