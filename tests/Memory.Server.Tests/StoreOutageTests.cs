using System.Net;
using Memory.Server.Tests.Infrastructure;
using Npgsql;

namespace Memory.Server.Tests;

/// <summary>
/// PostgreSQL reached through a relay the test cuts: readiness turns 503, requests get a 503 ProblemDetails
/// (not a 500), liveness stays 200, and everything comes back when the store does, with nothing lost.
/// </summary>
public sealed class StoreOutageTests
{
    [Fact]
    public async Task An_unreachable_store_is_503_and_the_server_recovers_when_it_returns()
    {
        var target = new NpgsqlConnectionStringBuilder(TestStores.PostgresConnectionString);
        await using var relay = new TcpRelay(target.Host == "localhost" ? "127.0.0.1" : target.Host!, target.Port);
        relay.Start();
        var relayed = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = relay.Port,
            Timeout = 3,
            CommandTimeout = 5,
        };
        var keys = new TestKeys();
        var settings = keys.Settings(new Dictionary<string, string?> { ["Storage:PostgresConnectionString"] = relayed.ConnectionString });
        await using var host = await ServerHost.StartAsync(settings);
        using var client = host.CreateClient(keys.AlphaKey);
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var id = await client.AddOneAsync(user, "I run a marathon every October.");

        relay.Cut();

        await (await client.GetAsync("health/ready")).ReadJsonAsync(HttpStatusCode.ServiceUnavailable);
        await (await client.GetAsync("health/live")).ReadJsonAsync();
        var list = await client.GetAsync($"memories?user_id={user}");
        await list.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(list.Headers.RetryAfter);
        await (await client.PostJsonAsync("memories", $$"""{"messages": [{"role": "user", "content": "x"}], "user_id": "{{user}}", "infer": false}"""))
            .ReadProblemAsync(HttpStatusCode.ServiceUnavailable);

        relay.Start();

        await (await client.GetAsync("health/ready")).ReadJsonAsync();
        var memory = Assert.Single(await client.ListAsync($"user_id={user}"));
        Assert.Equal(id, memory.GetProperty("id").GetString());
        await (await client.PostAsync("reset", null)).ReadJsonAsync();
    }
}
