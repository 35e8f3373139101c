using System.Net;
using Memory.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Memory.Server.Tests;

public sealed class ServerLimitsTests
{
    [Fact]
    public async Task The_body_limit_is_configurable()
    {
        var settings = TestStores.Sqlite();
        settings["Server:MaxRequestBodyBytes"] = "2048";
        await using var host = await ServerHost.StartAsync(settings);
        using var client = host.CreateClient();

        var small = await client.AddOneAsync("u", new string('s', 1000));
        Assert.False(string.IsNullOrEmpty(small));
        var json = $$"""{"messages": [{"role": "user", "content": "{{new string('b', 3000)}}"}], "user_id": "u", "infer": false}""";
        var problem = await (await client.PostJsonAsync("memories", json)).ReadProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("2048", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_out_of_range_body_limit_stops_start_up()
    {
        var settings = TestStores.Sqlite();
        settings["Server:MaxRequestBodyBytes"] = "0";

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => ServerHost.StartAsync(settings));

        Assert.Contains("MaxRequestBodyBytes", failure.Message, StringComparison.Ordinal);
    }
}
