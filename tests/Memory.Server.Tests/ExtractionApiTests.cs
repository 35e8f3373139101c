using System.Net;
using System.Text.Json;
using Memory.Conversations.Tests.Infrastructure;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>
/// infer=true over REST against the real host, with extraction through a scripted OpenAI-compatible chat server:
/// Mem0's result shape, invalidation and as_of, async_mode with its status endpoint, and the errors a caller sees
/// when the chat model is missing, down or unusable.
/// </summary>
public abstract class ExtractionApiTests
{
    protected abstract Dictionary<string, string?> StoreSettings();

    private static string NewUser() => "user-" + Guid.NewGuid().ToString("N");

    private async Task<ServerHost> StartAsync(ScriptedChatServer? chat, Dictionary<string, string?>? extra = null)
    {
        var settings = StoreSettings();
        if (chat is not null)
        {
            settings["Extraction:Provider"] = "OpenAI";
            settings["Extraction:Endpoint"] = chat.Endpoint;
            settings["Extraction:Model"] = "scripted-model";
            settings["Extraction:TimeoutSeconds"] = "10";
        }

        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return await ServerHost.StartAsync(settings);
    }

    private static string AddBody(string user, string content, string messageId, string timestamp, bool asyncMode = false) => $$"""
        {"messages": [{"role": "user", "content": {{JsonSerializer.Serialize(content)}}, "id": "{{messageId}}", "timestamp": "{{timestamp}}"}],
         "user_id": "{{user}}", "async_mode": {{(asyncMode ? "true" : "false")}}}
        """;

    [Fact]
    public async Task Infer_true_answers_in_mem0_shape_with_updates_invalidations_and_as_of()
    {
        await using var chat = await ScriptedChatServer.StartAsync();
        await using var host = await StartAsync(chat);
        var client = host.CreateClient();
        var user = NewUser();

        chat.Then(ChatReply.Facts(("User lives in Paris", ["m1"], "fact")));
        var first = await (await client.PostJsonAsync("memories", AddBody(user, "I live in Paris.", "m-1", "2023-05-08T10:00:00Z"))).ReadJsonAsync();
        var paris = Assert.Single(first.GetProperty("results").EnumerateArray());
        Assert.Equal(("ADD", "User lives in Paris"), (paris.GetProperty("event").GetString(), paris.GetProperty("memory").GetString()));
        Assert.Equal("succeeded", first.GetProperty("extraction").GetProperty("status").GetString());
        var parisId = paris.GetProperty("id").GetString()!;

        chat.Then(ChatReply.Facts(("User lives in Paris, in the Marais", ["m1"], "fact")), ChatReply.Decisions((1, "UPDATE", "0", "User lives in Paris, in the Marais")));
        var second = await (await client.PostJsonAsync("memories", AddBody(user, "We're in the Marais.", "m-2", "2023-05-09T10:00:00Z"))).ReadJsonAsync();
        var update = Assert.Single(second.GetProperty("results").EnumerateArray());
        Assert.Equal((parisId, "UPDATE", "User lives in Paris"), (update.GetProperty("id").GetString(), update.GetProperty("event").GetString(), update.GetProperty("previous_memory").GetString()));

        chat.Then(ChatReply.Facts(("User lives in Berlin", ["m1"], "fact")), ChatReply.Decisions((1, "INVALIDATE", "0", null)));
        var third = await (await client.PostJsonAsync("memories", AddBody(user, "I moved to Berlin.", "m-3", "2023-06-01T10:00:00Z"))).ReadJsonAsync();
        Assert.Equal(["ADD", "INVALIDATE"], third.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("event").GetString()).Order(StringComparer.Ordinal));

        var now = await client.ListAsync($"user_id={user}");
        Assert.Equal("User lives in Berlin", Assert.Single(now).GetProperty("memory").GetString());
        var then = await client.ListAsync($"user_id={user}&as_of=2023-05-20T00:00:00Z");
        var old = Assert.Single(then);
        Assert.Equal(("User lives in Paris, in the Marais", "2023-06-01T10:00:00+00:00"), (old.GetProperty("memory").GetString(), old.GetProperty("invalid_at").GetString()));
        var searched = await client.SearchAsync($$"""{"query": "where does the user live", "user_id": "{{user}}", "as_of": "2023-05-20T00:00:00Z"}""");
        Assert.Equal(parisId, Assert.Single(searched).GetProperty("id").GetString());

        var history = await client.GetJsonAsync($"memories/{parisId}/history");
        Assert.Equal(["ADD", "UPDATE", "INVALIDATE"], history.EnumerateArray().Select(h => h.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task Unusable_model_output_is_stored_verbatim_and_reported()
    {
        await using var chat = await ScriptedChatServer.StartAsync();
        await using var host = await StartAsync(chat);
        var client = host.CreateClient();
        var user = NewUser();
        chat.Then(ChatReply.Text("Sorry, I can't help with that."), ChatReply.Text("{\"facts\": \"none\"}"));

        var json = await (await client.PostJsonAsync("memories", AddBody(user, "My sister's name is Ana.", "s-1", "2023-05-08T10:00:00Z"))).ReadJsonAsync();

        Assert.Equal("failed", json.GetProperty("extraction").GetProperty("status").GetString());
        Assert.Contains("facts", json.GetProperty("extraction").GetProperty("error").GetString(), StringComparison.Ordinal);
        var stored = Assert.Single(await client.ListAsync($"user_id={user}"));
        Assert.Equal("My sister's name is Ana.", stored.GetProperty("memory").GetString());
        Assert.Equal("failed", stored.GetProperty("metadata").GetProperty("extraction").GetString());
    }

    [Fact]
    public async Task Without_a_chat_model_infer_true_is_501_naming_the_settings()
    {
        await using var host = await StartAsync(chat: null);
        var response = await host.CreateClient().PostJsonAsync("memories", AddBody(NewUser(), "I like jazz.", "j-1", "2023-05-08T10:00:00Z"));
        var problem = await response.ReadProblemAsync(HttpStatusCode.NotImplemented);
        Assert.Contains("Extraction:Provider", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_endpoint_that_is_down_is_503_with_retry_after_and_stores_nothing()
    {
        var chat = await ScriptedChatServer.StartAsync();
        await chat.DisposeAsync();
        await using var host = await StartAsync(chat);
        var client = host.CreateClient();
        var user = NewUser();

        var response = await client.PostJsonAsync("memories", AddBody(user, "I like jazz.", "j-1", "2023-05-08T10:00:00Z"));

        var problem = await response.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("Chat model unavailable", problem.GetProperty("title").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Empty(await client.ListAsync($"user_id={user}"));
    }

    [Fact]
    public async Task Async_mode_queues_and_the_status_endpoint_reports_the_results()
    {
        await using var chat = await ScriptedChatServer.StartAsync();
        await using var host = await StartAsync(chat);
        var client = host.CreateClient();
        var user = NewUser();
        chat.Then(ChatReply.Facts(("User plays the cello", ["m1"], "fact")));

        var response = await client.PostJsonAsync("memories", AddBody(user, "I play the cello.", "c-1", "2023-05-08T10:00:00Z", asyncMode: true));
        var queued = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        var id = queued.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/extractions/{id}", response.Headers.Location?.OriginalString);

        var job = await PollAsync(client, id);
        Assert.Equal("COMPLETED", job.GetProperty("status").GetString());
        var result = Assert.Single(job.GetProperty("results").EnumerateArray());
        Assert.Equal(("ADD", "User plays the cello"), (result.GetProperty("event").GetString(), result.GetProperty("memory").GetString()));
        Assert.Equal("succeeded", job.GetProperty("extraction").GetProperty("status").GetString());
        Assert.Equal("User plays the cello", Assert.Single(await client.ListAsync($"user_id={user}")).GetProperty("memory").GetString());

        await (await client.GetAsync($"v1/extractions/{Guid.NewGuid()}")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Async_mode_with_the_model_down_keeps_the_messages_verbatim()
    {
        var chat = await ScriptedChatServer.StartAsync();
        await chat.DisposeAsync();
        await using var host = await StartAsync(chat, new() { ["Extraction:BackgroundAttempts"] = "2", ["Extraction:BackgroundRetryDelaySeconds"] = "0" });
        var client = host.CreateClient();
        var user = NewUser();

        var queued = await (await client.PostJsonAsync("memories", AddBody(user, "I play the oboe.", "o-1", "2023-05-08T10:00:00Z", asyncMode: true)))
            .ReadJsonAsync(HttpStatusCode.Accepted);
        var job = await PollAsync(client, queued.GetProperty("id").GetString()!);

        Assert.Equal(("COMPLETED", 2), (job.GetProperty("status").GetString(), job.GetProperty("attempts").GetInt32()));
        Assert.Equal("failed", job.GetProperty("extraction").GetProperty("status").GetString());
        var stored = Assert.Single(await client.ListAsync($"user_id={user}"));
        Assert.Equal(("I play the oboe.", "failed"), (stored.GetProperty("memory").GetString(), stored.GetProperty("metadata").GetProperty("extraction").GetString()));
    }

    [Fact]
    public async Task Async_mode_refuses_infer_false_synchronously()
    {
        await using var chat = await ScriptedChatServer.StartAsync();
        await using var host = await StartAsync(chat);
        var response = await host.CreateClient().PostJsonAsync("memories",
            """{"messages": [{"role": "user", "content": "hi"}], "user_id": "u", "infer": false, "async_mode": true}""");
        await response.ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    /// <summary>Polls until the job has finished; the bound only stops a broken worker from hanging the run.</summary>
    private static async Task<JsonElement> PollAsync(HttpClient client, string id)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var job = await client.GetJsonAsync($"v1/extractions/{id}");
            if (job.GetProperty("status").GetString() is "COMPLETED" or "FAILED")
            {
                return job;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"Extraction {id} did not finish.");
    }
}
