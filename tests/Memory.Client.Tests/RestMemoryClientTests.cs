using System.Net;
using System.Text.Json.Nodes;
using Memory.Client.Tests.Infrastructure;

namespace Memory.Client.Tests;

/// <summary>What only the HTTP client has: keys and tenants, cancellation on the wire, error bodies from anything in between.</summary>
public sealed class RestMemoryClientTests(MemoryServer server) : IClassFixture<MemoryServer>
{
    private readonly MemoryClient _alpha = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);
    private readonly MemoryClient _bravo = server.Factory.CreateMemoryClient(server.Factory.BravoKey, "Bearer");

    [Fact]
    public async Task A_wrong_or_missing_key_is_unauthorized()
    {
        var wrong = server.Factory.CreateMemoryClient("wrong-key-0123456789abcdef");
        var refused = await Assert.ThrowsAsync<MemoryApiUnauthorizedException>(() => wrong.ListAsync(MemoryScopeIds.ForUser("anyone")));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(MemoryApiErrorKind.Unauthorized, refused.Kind);

        var anonymous = server.Factory.CreateMemoryClient(apiKey: null);
        await Assert.ThrowsAsync<MemoryApiUnauthorizedException>(() =>
            anonymous.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("sneaky")], UserId = "anyone", Infer = false }));

        // Readiness needs no key.
        Assert.True((await anonymous.GetHealthAsync()).IsHealthy);
    }

    [Fact]
    public async Task Tenants_never_see_or_change_each_others_memories()
    {
        var user = TestScopes.NewUser("shared");
        var alphaId = Assert.Single((await _alpha.AddAsync(new MemoryAddRequest
        {
            Messages = [MemoryMessage.User("My bank PIN hint is the year my dog was born.")],
            UserId = user,
            Infer = false,
        })).Results).Id;

        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _bravo.GetAsync(alphaId));
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _bravo.GetHistoryAsync(alphaId));
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _bravo.UpdateAsync(alphaId, new MemoryUpdateRequest("overwritten by bravo")));
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _bravo.DeleteAsync(alphaId));
        Assert.Empty(await _bravo.ListAsync(MemoryScopeIds.ForUser(user)));
        Assert.Empty(await _bravo.SearchAsync(new MemorySearchRequest { Query = "bank PIN dog", Filters = new JsonObject { ["user_id"] = user } }));
        Assert.Equal(0, await _bravo.DeleteAllAsync(MemoryScopeIds.ForUser(user)));
        await _bravo.ResetAsync();

        var still = await _alpha.GetAsync(alphaId);
        Assert.Equal("My bank PIN hint is the year my dog was born.", still.Text);
        Assert.Equal([MemoryChangeEvent.Add], (await _alpha.GetHistoryAsync(alphaId)).Select(h => h.Event));
    }

    [Fact]
    public async Task Reset_deletes_every_memory_and_history_of_the_callers_tenant()
    {
        var user = TestScopes.NewUser();
        var id = Assert.Single((await _bravo.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("to be reset")], UserId = user, Infer = false })).Results).Id;

        await _bravo.ResetAsync();

        Assert.Empty(await _bravo.ListAsync(MemoryScopeIds.ForUser(user)));
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _bravo.GetHistoryAsync(id));
    }

    [Fact]
    public async Task A_cancelled_token_stops_the_call_and_nothing_is_stored()
    {
        var user = TestScopes.NewUser();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _alpha.AddAsync(
            new MemoryAddRequest { Messages = [MemoryMessage.User("never sent")], UserId = user, Infer = false }, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _alpha.SearchAsync(new MemorySearchRequest { Query = "x", UserId = user }, cancelled.Token));

        Assert.Empty(await _alpha.ListAsync(MemoryScopeIds.ForUser(user)));
    }

    [Fact]
    public async Task Cancelling_a_call_to_a_server_that_never_answers_ends_it()
    {
        await using var hung = new SilentTcpServer();
        var client = MemoryClient.Create(new HttpClient(), new MemoryClientOptions { BaseAddress = hung.BaseAddress, ApiKey = "irrelevant-key-0123456789" });
        using var cancellation = new CancellationTokenSource();

        var call = client.ListAsync(MemoryScopeIds.ForUser("anyone"), cancellationToken: cancellation.Token);
        while (hung.Connections == 0)
        {
            await Task.Delay(10);
        }

        Assert.False(call.IsCompleted);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Service_unavailable_carries_retry_after()
    {
        await using var maintenance = await CannedHttpServer.StartAsync(503, "application/problem+json",
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Store unavailable","status":503,"detail":"The memory store cannot be reached right now; retry later.","trace_id":"00-abc-01"}""",
            new Dictionary<string, string> { ["Retry-After"] = "7" });
        var client = MemoryClient.Create(new HttpClient(), new MemoryClientOptions { BaseAddress = maintenance.BaseAddress, ApiKey = "irrelevant-key-0123456789" });

        var unavailable = await Assert.ThrowsAsync<MemoryApiUnavailableException>(() => client.GetAsync("some-id"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), unavailable.RetryAfter);
        Assert.Equal("Store unavailable", unavailable.Title);
        Assert.Equal("00-abc-01", unavailable.TraceId);
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.6.4", unavailable.Type);
        Assert.Equal(MemoryApiErrorKind.Unavailable, unavailable.Kind);
    }

    [Fact]
    public async Task A_non_json_error_from_a_proxy_is_still_a_typed_exception_with_the_body_start()
    {
        await using var proxy = await CannedHttpServer.StartAsync(502, "text/html", "<html><body>Bad gateway: upstream reset</body></html>" + new string('x', 5000));
        var client = MemoryClient.Create(new HttpClient(), new MemoryClientOptions { BaseAddress = proxy.BaseAddress, ApiKey = "irrelevant-key-0123456789" });

        var failed = await Assert.ThrowsAsync<MemoryApiException>(() => client.SearchAsync(new MemorySearchRequest { Query = "x", UserId = "u" }));
        Assert.Equal(MemoryApiErrorKind.UpstreamFailed, failed.Kind);
        Assert.Equal("Bad Gateway", failed.Title);
        Assert.StartsWith("<html><body>Bad gateway", failed.Detail, StringComparison.Ordinal);
        Assert.True(failed.Detail!.Length < 600);
        Assert.Contains("502", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_problems_from_the_server_keep_the_trace_id_and_type()
    {
        var refused = await Assert.ThrowsAsync<MemoryApiValidationException>(() =>
            _alpha.SearchAsync(new MemorySearchRequest { Query = "x", UserId = "u", Threshold = 2 }));
        Assert.Contains("threshold", refused.Errors.Keys);
        Assert.False(string.IsNullOrEmpty(refused.TraceId));
        Assert.False(string.IsNullOrEmpty(refused.Type));
        Assert.Contains("threshold", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ids_with_reserved_characters_are_escaped_into_the_path()
    {
        var odd = await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _alpha.GetAsync("a b?x=1#frag"));
        Assert.Contains("'a b?x=1#frag'", odd.Detail, StringComparison.Ordinal);

        // A slash stays inside the id segment (the server keeps it encoded), so an id can never reach another route.
        var user = TestScopes.NewUser();
        await _alpha.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("survives")], UserId = user, Infer = false });
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _alpha.DeleteAsync("../../reset"));
        Assert.Single(await _alpha.ListAsync(MemoryScopeIds.ForUser(user)));
    }
}
