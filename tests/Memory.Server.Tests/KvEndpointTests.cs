using System.Net;
using System.Text.Json;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>
/// <c>/v1/kv</c> on the real host with the tiny model: tier stats after completions, pins by messages, text and tokens
/// that belong to the caller's tenant, deletes by conversation and by model that touch only the caller's blocks.
/// </summary>
public sealed class KvEndpointTests(LocalModelServer server) : IClassFixture<LocalModelServer>
{
    private HttpClient Alpha => server.Host.CreateClient(server.Keys.AlphaKey);

    private HttpClient Bravo => server.Host.CreateClient(server.Keys.BravoKey);

    [Fact]
    public async Task Stats_show_every_tier_and_the_blocks_a_completion_stored()
    {
        await CompleteAsync(Alpha, "stats-" + Guid.NewGuid().ToString("N"), "Enough words for a few blocks.");
        var stats = await WaitAsync(async () =>
        {
            var s = await (await Alpha.GetAsync("v1/kv/stats")).ReadJsonAsync();
            return s.GetProperty("metadata").GetProperty("blocks").GetInt64() > 0 ? s : (JsonElement?)null;
        });
        Assert.Equal(16, stats.GetProperty("block_size").GetInt32());
        var tiers = stats.GetProperty("tiers").EnumerateArray().ToDictionary(t => t.GetProperty("tier").GetString()!, t => t);
        Assert.Equal(["disk", "host", "redis"], tiers.Keys.Order());
        Assert.Equal("up", tiers["host"].GetProperty("status").GetString());
        Assert.Equal("up", tiers["disk"].GetProperty("status").GetString());
        Assert.Equal("disabled", tiers["redis"].GetProperty("status").GetString());
        Assert.True(tiers["host"].GetProperty("blocks").GetInt64() > 0);
        Assert.True(tiers["disk"].GetProperty("bytes").GetInt64() > 0);
        Assert.InRange(tiers["host"].GetProperty("hit_rate").GetDouble(), 0, 1);
        var reads = stats.GetProperty("lower_tier_reads");
        Assert.True(reads.GetProperty("runs").GetInt64() >= 0);
        Assert.True(reads.GetProperty("decode_ms").GetDouble() >= 0);
    }

    [Fact]
    public async Task Pins_cover_the_full_blocks_of_a_prefix_and_are_the_tenants_own()
    {
        string system = "Pinned " + Guid.NewGuid().ToString("N");
        string body = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "system", content = system } } });
        var pinned = await (await Alpha.PostJsonAsync("v1/kv/pin", body)).ReadJsonAsync();
        Assert.True(pinned.GetProperty("pinned").GetBoolean());
        int blocks = pinned.GetProperty("blocks").GetInt32();
        Assert.True(blocks >= 2, $"{blocks} blocks");
        Assert.Equal(blocks * 16, pinned.GetProperty("pinned_tokens").GetInt32());
        Assert.True(pinned.GetProperty("prefix_tokens").GetInt32() >= blocks * 16);
        Assert.Equal(blocks, pinned.GetProperty("keys").GetArrayLength());

        // The same prefix as text or as tokens names the same blocks.
        var asTokens = await (await Alpha.PostJsonAsync("v1/kv/pin", JsonSerializer.Serialize(new { tokens = Enumerable.Range(20, 40).ToArray() }))).ReadJsonAsync();
        Assert.Equal(2, asTokens.GetProperty("blocks").GetInt32());
        var asText = await (await Alpha.PostJsonAsync("v1/kv/pin", JsonSerializer.Serialize(new { text = "short" }))).ReadJsonAsync();
        Assert.Equal(0, asText.GetProperty("blocks").GetInt32());

        // Bravo unpinning Alpha's prefix releases only Bravo's (absent) pin: the blocks stay pinned for Alpha.
        var bravoUnpin = await (await Bravo.PostJsonAsync("v1/kv/unpin", body)).ReadJsonAsync();
        Assert.False(bravoUnpin.GetProperty("pinned").GetBoolean());
        var before = await (await Alpha.GetAsync("v1/kv/stats")).ReadJsonAsync();

        // Blocks pinned before they exist read as pinned once a completion computes them.
        await CompleteAsync(Alpha, null, null, system);
        var after = await WaitAsync(async () =>
        {
            var s = await (await Alpha.GetAsync("v1/kv/stats")).ReadJsonAsync();
            return s.GetProperty("metadata").GetProperty("pinned_blocks").GetInt64() >= before.GetProperty("metadata").GetProperty("pinned_blocks").GetInt64() + blocks ? s : (JsonElement?)null;
        });
        Assert.True(after.GetProperty("metadata").GetProperty("pinned_blocks").GetInt64() >= blocks);

        await (await Alpha.PostJsonAsync("v1/kv/pin", """{"text":"a","tokens":[1]}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/kv/pin", """{}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/kv/pin", """{"tokens":[1, 99999]}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/kv/pin", """{"model":"other","text":"x"}""")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deleting_by_conversation_removes_only_the_callers_blocks()
    {
        string conversation = "chat-" + Guid.NewGuid().ToString("N");
        await CompleteAsync(Alpha, conversation, "Alpha's own words, a few blocks.");
        await CompleteAsync(Bravo, conversation, "Bravo says other things here.");
        await Task.Delay(200);

        var bravoDeleted = await WaitAsync(async () =>
        {
            var d = await (await Bravo.DeleteAsync($"v1/kv?conversation={conversation}")).ReadJsonAsync();
            return d.GetProperty("deleted").GetInt32() > 0 ? d : (JsonElement?)null;
        });
        Assert.True(bravoDeleted.GetProperty("deleted").GetInt32() > 0);
        Assert.Equal(0, (await (await Bravo.DeleteAsync($"v1/kv?conversation={conversation}")).ReadJsonAsync()).GetProperty("deleted").GetInt32());

        // Alpha's blocks of the same conversation id were not Bravo's to delete.
        var alphaDeleted = await (await Alpha.DeleteAsync($"v1/kv?conversation={conversation}&model=tiny")).ReadJsonAsync();
        Assert.True(alphaDeleted.GetProperty("deleted").GetInt32() > 0);

        await (await Alpha.DeleteAsync("v1/kv")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.DeleteAsync("v1/kv?model=not-a-model")).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    private static async Task CompleteAsync(HttpClient client, string? conversation, string? user, string? system = null)
    {
        var messages = new List<object>();
        if (system is not null)
        {
            messages.Add(new { role = "system", content = system });
        }

        messages.Add(new { role = "user", content = user ?? "Hello there, how are you today?" });
        string body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["model"] = "tiny", ["messages"] = messages, ["max_tokens"] = 2, ["conversation_id"] = conversation });
        await (await client.PostJsonAsync("v1/chat/completions", body)).ReadJsonAsync();
    }

    private static async Task<JsonElement> WaitAsync(Func<Task<JsonElement?>> probe)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (await probe() is { } done)
            {
                return done;
            }

            Assert.True(attempt < 50, "the KV cache never showed the expected blocks");
            await Task.Delay(100);
        }
    }
}
