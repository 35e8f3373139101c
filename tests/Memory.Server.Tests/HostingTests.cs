using System.Net;
using System.Text.Json;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>Health, the OpenAPI document and Scalar UI, and the key-less loopback-only mode.</summary>
public sealed class HostingTests(KeyedSqliteServer server) : IClassFixture<KeyedSqliteServer>
{
    [Fact]
    public async Task Health_endpoints_answer_without_a_key()
    {
        using var anonymous = server.Host.CreateClient();
        var live = await (await anonymous.GetAsync("health/live")).ReadJsonAsync();
        Assert.Equal("Healthy", live.GetProperty("status").GetString());

        var ready = await (await anonymous.GetAsync("health/ready")).ReadJsonAsync();
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_up_fails_when_the_store_cannot_be_reached()
    {
        var settings = new Dictionary<string, string?>
        {
            // Nothing listens on port 1: the store cannot connect, so start-up initialisation fails fast.
            ["Storage:PostgresConnectionString"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2",
        };

        var failure = await Record.ExceptionAsync(() => ServerHost.StartAsync(settings));

        Assert.NotNull(failure);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_mem0_endpoints()
    {
        using var anonymous = server.Host.CreateClient();
        var document = await (await anonymous.GetAsync("openapi/v1.json")).ReadJsonAsync();

        var paths = document.GetProperty("paths");
        foreach (var path in (string[])["/memories", "/memories/{id}", "/memories/{id}/history", "/search", "/reset"])
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }

        var addBody = paths.GetProperty("/memories").GetProperty("post").GetProperty("requestBody").GetRawText();
        Assert.Contains("application/json", addBody, StringComparison.Ordinal);
        var schemas = document.GetProperty("components").GetProperty("schemas").GetRawText();
        Assert.Contains("\"user_id\"", schemas, StringComparison.Ordinal);
        Assert.Contains("\"source_message_ids\"", schemas, StringComparison.Ordinal);
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
    }

    [Fact]
    public async Task The_scalar_ui_is_served()
    {
        using var anonymous = server.Host.CreateClient();
        var response = await anonymous.GetAsync("scalar");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_keys_the_server_rewrites_a_wildcard_address_to_loopback_and_serves_the_default_tenant()
    {
        await using var keyless = await ServerHost.StartAsync(TestStores.Sqlite(), urls: "http://0.0.0.0:0");

        var url = Assert.Single(keyless.Urls);
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

        using var anonymous = keyless.CreateClient();
        var id = await anonymous.AddOneAsync("local-user", "I work night shifts.");
        var memory = await anonymous.GetJsonAsync($"memories/{id}");
        Assert.Equal("I work night shifts.", memory.GetProperty("memory").GetString());
    }

    [Fact]
    public async Task Keys_come_from_a_keys_file_and_every_accepted_header()
    {
        var keys = new TestKeys();
        var file = Path.Combine(Path.GetTempPath(), $"memory-keys-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            keys = new[] { new { key = keys.AlphaKey, tenant = keys.AlphaTenant } },
        }));
        try
        {
            var settings = TestStores.Sqlite();
            settings["Auth:KeysFile"] = file;
            await using var host = await ServerHost.StartAsync(settings);

            using var token = host.CreateClient(keys.AlphaKey, "Token");
            var id = await token.AddOneAsync("u1", "I speak Greek.");
            using var bearer = host.CreateClient(keys.AlphaKey, "Bearer");
            Assert.Equal(id, (await bearer.GetJsonAsync($"memories/{id}")).GetProperty("id").GetString());
            using var header = host.CreateClient();
            header.DefaultRequestHeaders.Add("X-API-Key", keys.AlphaKey);
            Assert.Equal(id, (await header.GetJsonAsync($"memories/{id}")).GetProperty("id").GetString());
            using var anonymous = host.CreateClient();
            await (await anonymous.GetAsync($"memories/{id}")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("short=tenant")]
    [InlineData("a-key-that-is-long-enough=bad tenant")]
    [InlineData("no-separator-in-this-entry")]
    [InlineData("a-key-that-is-long-enough=one;a-key-that-is-long-enough=two")]
    public async Task Bad_key_configuration_stops_start_up_with_a_clear_error(string value)
    {
        var settings = TestStores.Sqlite();
        settings["MEMORY_API_KEYS"] = value;

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerHost.StartAsync(settings));

        Assert.Contains("MEMORY_API_KEYS", failure.Message, StringComparison.Ordinal);
    }
}
