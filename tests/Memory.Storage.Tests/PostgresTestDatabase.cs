using Npgsql;

namespace Memory.Storage.Tests;

/// <summary>
/// A fresh schema of the test database (env MEMORY_TEST_POSTGRES), dropped again on dispose, so every
/// fixture migrates from nothing and runs in parallel with the others.
/// </summary>
internal sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string DefaultConnectionString = "Host=127.0.0.1;Port=5432;Username=memory;Password=memory;Database=memory_test";

    private PostgresTestDatabase(string baseConnectionString, string schema)
    {
        BaseConnectionString = baseConnectionString;
        Schema = schema;
        ConnectionString = new NpgsqlConnectionStringBuilder(baseConnectionString) { SearchPath = $"{schema},public" }.ConnectionString;
    }

    public string BaseConnectionString { get; }

    public string Schema { get; }

    /// <summary>Connection string whose search_path starts with the fresh schema.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var baseConnectionString = Environment.GetEnvironmentVariable("MEMORY_TEST_POSTGRES") is { Length: > 0 } configured
            ? configured
            : DefaultConnectionString;
        var schema = "test_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(baseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
        await command.ExecuteNonQueryAsync();
        return new PostgresTestDatabase(baseConnectionString, schema);
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(BaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
