using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>Bad input gets a clear ProblemDetails with a 4xx status, never a 500, and loses nothing already stored.</summary>
public sealed class BadInputTests(KeyedSqliteServer server) : IClassFixture<KeyedSqliteServer>
{
    private readonly HttpClient _client = server.Host.CreateClient(server.Keys.AlphaKey);

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var problem = await (await _client.PostJsonAsync("memories", """{"messages": [{"role": "user", "content": "hi"}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await (await _client.PostJsonAsync("search", "not json at all")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync("memories", "")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync("memories", "null")).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Wrong_json_types_are_400()
    {
        await (await _client.PostJsonAsync("search", """{"query": "x", "user_id": "u", "top_k": "five"}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync("memories", """{"messages": "hello", "user_id": "u", "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync("memories", """{"messages": [{"role": "user", "content": 42}], "user_id": "u", "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Invalid_utf8_is_400()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"messages": [{"role": "user", "content": "caf_"}], "user_id": "u", "infer": false}""");
        var index = Array.IndexOf(bytes, (byte)'_');
        bytes[index] = 0xC3; // a lead byte followed by '"' is not UTF-8
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };

        var problem = await (await _client.PostAsync("memories", content)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Missing_scope_is_400_naming_the_field()
    {
        var problem = await (await _client.PostJsonAsync("memories", """{"messages": [{"role": "user", "content": "hi"}], "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("user_id", out _));
        await (await _client.GetAsync("memories")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.DeleteAsync("memories")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync("search", """{"query": "hi"}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Missing_or_empty_fields_are_400_naming_the_field()
    {
        var noMessages = await (await _client.PostJsonAsync("memories", """{"user_id": "u", "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(noMessages.GetProperty("errors").TryGetProperty("messages", out _));
        var noRole = await (await _client.PostJsonAsync("memories", """{"messages": [{"content": "hi"}], "user_id": "u", "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(noRole.GetProperty("errors").TryGetProperty("messages[0].role", out _));
        var empty = await (await _client.PostJsonAsync("memories", """{"messages": [{"role": "user", "content": "  "}], "user_id": "u", "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(empty.GetProperty("errors").TryGetProperty("messages[0].content", out _));
        var noQuery = await (await _client.PostJsonAsync("search", """{"user_id": "u"}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(noQuery.GetProperty("errors").TryGetProperty("query", out _));
        var badTopK = await (await _client.PostJsonAsync("search", """{"query": "x", "user_id": "u", "top_k": 0}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(badTopK.GetProperty("errors").TryGetProperty("top_k", out _));
        var badOperator = await (await _client.PostJsonAsync("search", """{"query": "x", "user_id": "u", "filters": {"OR": [{"a": 1}]}}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(badOperator.GetProperty("errors").TryGetProperty("filters.OR", out _));
        var noText = await (await _client.PutJsonAsync("memories/some-id", """{"metadata": {}}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(noText.GetProperty("errors").TryGetProperty("text", out _));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_whether_its_length_is_declared_or_not()
    {
        var huge = new string('a', 2 * 1024 * 1024);
        var json = $$"""{"messages": [{"role": "user", "content": "{{huge}}"}], "user_id": "u", "infer": false}""";
        var declared = await (await _client.PostJsonAsync("memories", json)).ReadProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("1048576", declared.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var chunkedClient = server.Host.CreateClient(server.Keys.AlphaKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "memories")
        {
            Content = new PushStreamContent(Encoding.UTF8.GetBytes(json)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        await (await chunkedClient.SendAsync(request)).ReadProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Unknown_ids_are_404()
    {
        var id = Guid.NewGuid().ToString();
        await (await _client.GetAsync($"memories/{id}")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync($"memories/{id}/history")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.PutJsonAsync($"memories/{id}", """{"text": "x"}""")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.DeleteAsync($"memories/{id}")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync("no-such-route")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Missing_or_wrong_keys_are_401()
    {
        using var anonymous = server.Host.CreateClient();
        var missing = await (await anonymous.GetAsync("memories?user_id=u")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Token", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var wrong = server.Host.CreateClient(server.Keys.AlphaKey + "x");
        var problem = await (await wrong.GetAsync("memories?user_id=u")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The API key is not valid.", problem.GetProperty("detail").GetString());
        await (await wrong.PostJsonAsync("reset", "{}")).ReadProblemAsync(HttpStatusCode.Unauthorized);

        using var basic = server.Host.CreateClient(server.Keys.AlphaKey, "Basic");
        await (await basic.GetAsync("memories?user_id=u")).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Infer_true_is_501_naming_the_reason_and_stores_nothing()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var problem = await (await _client.PostJsonAsync("memories", $$"""{"messages": [{"role": "user", "content": "I like jazz."}], "user_id": "{{user}}"}""")).ReadProblemAsync(HttpStatusCode.NotImplemented);
        Assert.Contains("infer", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await _client.ListAsync($"user_id={user}"));
    }

    [Fact]
    public async Task Wrong_media_type_is_415()
    {
        using var content = new StringContent("""{"query": "x", "user_id": "u"}""", Encoding.UTF8, "text/plain");
        await (await _client.PostAsync("search", content)).ReadProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Bad_requests_lose_nothing_already_stored()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var id = await _client.AddOneAsync(user, "I keep bees on the roof.");

        await (await _client.PutJsonAsync($"memories/{id}", """{"text": ""}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PutJsonAsync($"memories/{id}", """{"text": "broken""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync("memories", $$"""{"messages": [{"role": "user", "content": "ok"}, {"role": "user", "content": ""}], "user_id": "{{user}}", "infer": false}""")).ReadProblemAsync(HttpStatusCode.BadRequest);

        var memories = await _client.ListAsync($"user_id={user}");
        var memory = Assert.Single(memories);
        Assert.Equal("I keep bees on the roof.", memory.GetProperty("memory").GetString());
    }
}
