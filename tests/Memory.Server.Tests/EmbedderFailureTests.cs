using System.Net;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>
/// The OpenAI-compatible embedding provider pointed at a real scripted HTTP server: a misbehaving embedder
/// (NaN, garbage, wrong length, HTTP 500) is a 502 ProblemDetails and nothing is written.
/// </summary>
public sealed class EmbedderFailureTests : IAsyncLifetime
{
    private const int Dimensions = 16;
    private readonly TestKeys _keys = new();
    private ScriptedEmbeddingServer _embedder = null!;
    private ServerHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _embedder = await ScriptedEmbeddingServer.StartAsync(Dimensions);
        var settings = _keys.Settings(TestStores.Sqlite());
        settings["Embeddings:Provider"] = "OpenAI";
        settings["Embeddings:Endpoint"] = _embedder.Endpoint;
        settings["Embeddings:Model"] = "scripted-embedder";
        settings["Embeddings:Dimensions"] = Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Embeddings:TimeoutSeconds"] = "30";
        _host = await ServerHost.StartAsync(settings);
        _client = _host.CreateClient(_keys.AlphaKey);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _embedder.DisposeAsync();
    }

    [Theory]
    [InlineData(EmbeddingAnswer.NaN)]
    [InlineData(EmbeddingAnswer.Garbage)]
    [InlineData(EmbeddingAnswer.WrongLength)]
    [InlineData(EmbeddingAnswer.ServerError)]
    public async Task A_misbehaving_embedder_is_502_and_nothing_is_written(EmbeddingAnswer answer)
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var kept = await _client.AddOneAsync(user, "I grow tomatoes on the balcony.");
        Assert.True(_embedder.Requests > 0);

        _embedder.Answer = answer;
        var add = await (await _client.PostJsonAsync("memories", $$"""
            {"messages": [{"role": "user", "content": "I also grow basil."}], "user_id": "{{user}}", "infer": false}
            """)).ReadProblemAsync(HttpStatusCode.BadGateway);
        Assert.Contains("embedding", add.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        if (answer == EmbeddingAnswer.NaN)
        {
            // The OpenAI client asks for base64 floats, so a real NaN reaches the engine's vector check.
            Assert.Equal("base64", _embedder.LastEncodingFormat);
            Assert.Contains("non-finite", add.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        await (await _client.PutJsonAsync($"memories/{kept}", """{"text": "I grow peppers."}""")).ReadProblemAsync(HttpStatusCode.BadGateway);
        await (await _client.PostJsonAsync("search", $$"""{"query": "balcony", "user_id": "{{user}}"}""")).ReadProblemAsync(HttpStatusCode.BadGateway);

        _embedder.Answer = EmbeddingAnswer.Good;
        var memory = Assert.Single(await _client.ListAsync($"user_id={user}"));
        Assert.Equal("I grow tomatoes on the balcony.", memory.GetProperty("memory").GetString());
        var history = (await _client.GetJsonAsync($"memories/{kept}/history")).EnumerateArray().ToList();
        Assert.Equal(["ADD"], history.Select(h => h.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task A_healthy_remote_embedder_serves_the_whole_flow()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var id = await _client.AddOneAsync(user, "My favourite mountain is Mont Blanc.");

        var found = await _client.SearchAsync($$"""{"query": "Mont Blanc mountain", "user_id": "{{user}}"}""");

        Assert.Equal(id, found[0].GetProperty("id").GetString());
        Assert.True(_embedder.Requests >= 2);
    }
}
