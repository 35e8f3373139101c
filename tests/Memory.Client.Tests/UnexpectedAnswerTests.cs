using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>A 200 whose body is not what the API promises (a different service at the address) is a clear client error.</summary>
public sealed class UnexpectedAnswerTests
{
    [Fact]
    public async Task A_success_with_the_wrong_json_shape_names_the_call_and_the_expected_type()
    {
        await using var other = await CannedHttpServer.StartAsync(200, "application/json", """{"results": "not a list"}""");
        var client = MemoryClient.Create(new HttpClient(), new MemoryClientOptions { BaseAddress = other.BaseAddress, ApiKey = "irrelevant-key-0123456789" });

        var failed = await Assert.ThrowsAsync<MemoryApiException>(() => client.ListAsync(MemoryScopeIds.ForUser("u")));
        Assert.Contains("GET /memories", failed.Message, StringComparison.Ordinal);
        Assert.Contains("ResultEnvelope", failed.Message, StringComparison.Ordinal);
        Assert.IsType<System.Text.Json.JsonException>(failed.InnerException);
    }
}
