using System.Net;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>A tenant never sees or changes another tenant's memories, whatever ids or scope it sends.</summary>
public sealed class TenantIsolationTests(KeyedSqliteServer server) : IClassFixture<KeyedSqliteServer>
{
    private readonly HttpClient _alpha = server.Host.CreateClient(server.Keys.AlphaKey);
    private readonly HttpClient _bravo = server.Host.CreateClient(server.Keys.BravoKey, "Bearer");

    [Fact]
    public async Task Another_tenants_id_is_not_found_for_read_update_delete_or_history()
    {
        var user = "shared-" + Guid.NewGuid().ToString("N")[..8];
        var id = await _alpha.AddOneAsync(user, "My bank PIN hint is the year my dog was born.");

        await (await _bravo.GetAsync($"memories/{id}")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _bravo.GetAsync($"memories/{id}/history")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _bravo.PutJsonAsync($"memories/{id}", """{"text": "overwritten by bravo"}""")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _bravo.DeleteAsync($"memories/{id}")).ReadProblemAsync(HttpStatusCode.NotFound);

        var stillThere = await _alpha.GetJsonAsync($"memories/{id}");
        Assert.Equal("My bank PIN hint is the year my dog was born.", stillThere.GetProperty("memory").GetString());
        var history = (await _alpha.GetJsonAsync($"memories/{id}/history")).EnumerateArray().ToList();
        Assert.Equal(["ADD"], history.Select(h => h.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task The_same_scope_ids_do_not_leak_across_tenants_in_list_search_delete_or_reset()
    {
        var user = "shared-" + Guid.NewGuid().ToString("N")[..8];
        var alphaId = await _alpha.AddOneAsync(user, "Alpha's user prefers green tea in the morning.");
        var bravoId = await _bravo.AddOneAsync(user, "Bravo's user prefers black coffee in the morning.");

        var bravoList = await _bravo.ListAsync($"user_id={user}");
        Assert.Equal([bravoId], bravoList.Select(m => m.GetProperty("id").GetString()));
        var bravoSearch = await _bravo.SearchAsync($$"""{"query": "green tea morning", "user_id": "{{user}}", "threshold": 0}""");
        Assert.DoesNotContain(bravoSearch, m => m.GetProperty("id").GetString() == alphaId);
        var bravoFiltered = await _bravo.SearchAsync($$"""{"query": "tea", "filters": {"user_id": "{{user}}"} }""");
        Assert.DoesNotContain(bravoFiltered, m => m.GetProperty("id").GetString() == alphaId);

        var deleted = await (await _bravo.DeleteAsync($"memories?user_id={user}")).ReadJsonAsync();
        Assert.Equal(1, deleted.GetProperty("deleted").GetInt32());
        await (await _bravo.PostAsync("reset", null)).ReadJsonAsync();

        Assert.Equal([alphaId], (await _alpha.ListAsync($"user_id={user}")).Select(m => m.GetProperty("id").GetString()));
        var alphaSearch = await _alpha.SearchAsync($$"""{"query": "green tea morning", "user_id": "{{user}}"}""");
        Assert.Equal(alphaId, alphaSearch[0].GetProperty("id").GetString());
    }
}
