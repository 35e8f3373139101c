using System.Net;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>infer=true through the server's own local model (Extraction:Provider = Local) instead of a remote endpoint.</summary>
public sealed class LocalExtractionTests(LocalExtractionServer server) : IClassFixture<LocalExtractionServer>
{
    [Fact]
    public async Task A_prompt_the_local_model_cannot_hold_is_refused_as_502_and_nothing_is_stored()
    {
        // The extraction prompt is longer than the tiny model's 1024 positions: the local model refuses it like an
        // endpoint answering 400, and the add fails whole instead of storing half of it.
        var client = server.Host.CreateClient(server.Keys.AlphaKey);
        string user = "local-" + Guid.NewGuid().ToString("N");
        var response = await client.PostJsonAsync("memories", $$"""{"messages":[{"role":"user","content":"My sister's name is Ana."}],"user_id":"{{user}}"}""");
        var problem = await response.ReadProblemAsync(HttpStatusCode.BadGateway);
        Assert.Contains("1024", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var listed = await (await client.GetAsync($"memories?user_id={user}")).ReadJsonAsync();
        Assert.Equal(0, listed.GetProperty("results").GetArrayLength());
    }
}
