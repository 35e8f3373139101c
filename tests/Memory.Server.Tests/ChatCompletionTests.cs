using System.Net;
using System.Text.Json;
using Memory.Server.Tests.Infrastructure;

namespace Memory.Server.Tests;

/// <summary>
/// OpenAI's <c>/v1/chat/completions</c> and <c>/v1/models</c> on the real host with the tiny model: the OpenAI shapes,
/// server-sent events, reuse of the cached prompt prefix (usage.prompt_tokens_details.cached_tokens), and ProblemDetails
/// for what the local model cannot do.
/// </summary>
public sealed class ChatCompletionTests(LocalModelServer server) : IClassFixture<LocalModelServer>
{
    // With the template's tags this spans a few 16-token blocks (the tiny tokenizer has few merges), and stays cheap to prefill.
    private const string LongSystemPrompt = "You are a careful assistant who remembers users.";

    private HttpClient Alpha => server.Host.CreateClient(server.Keys.AlphaKey);

    [Fact]
    public async Task Models_lists_the_local_model_with_its_kv_model_id()
    {
        var models = await (await Alpha.GetAsync("v1/models")).ReadJsonAsync();
        Assert.Equal("list", models.GetProperty("object").GetString());
        var model = Assert.Single(models.GetProperty("data").EnumerateArray());
        Assert.Equal(LocalModelServer.ModelName, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Matches("^[0-9a-f]{16}$", model.GetProperty("kv_model_id").GetString());
        Assert.Equal(1024, model.GetProperty("max_context_tokens").GetInt32());
    }

    [Fact]
    public async Task A_completion_has_the_openai_shape_and_a_repeated_prompt_reuses_its_cached_prefix()
    {
        string body = Request(stream: false, maxTokens: 6, user: "What do you remember about me?");
        var first = await (await Alpha.PostJsonAsync("v1/chat/completions", body)).ReadJsonAsync();
        Assert.Equal("chat.completion", first.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", first.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(LocalModelServer.ModelName, first.GetProperty("model").GetString());
        var choice = Assert.Single(first.GetProperty("choices").EnumerateArray());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = first.GetProperty("usage");
        int prompt = usage.GetProperty("prompt_tokens").GetInt32();
        Assert.True(prompt > 48, $"the test prompt should span several 16-token blocks; it has {prompt} tokens");
        Assert.Equal(prompt + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());

        // Same conversation again: all its full blocks (but the one holding the last prompt token, which must be
        // prefilled for the first logits) come from the KV cache, and greedy decoding answers the same.
        int expected = (prompt - 1) / 16 * 16;
        var second = await WaitForReuseAsync(body, expected);
        Assert.Equal(Text(first), Text(second));
        Assert.Equal(expected, second.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_sends_role_content_finish_usage_and_done_as_server_sent_events()
    {
        string body = Request(stream: true, maxTokens: 5, user: "Say something.", includeUsage: true);
        var response = await Alpha.PostJsonAsync("v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync())
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => Assert.Single(e.Split('\n'), line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])
            .ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());

        var finish = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1 && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String).ToList();
        Assert.Single(finish);
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        int completion = usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.InRange(completion, 0, 5);

        // The streamed text is what the same request answers without streaming.
        string streamed = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            .Select(d => d.GetProperty("content").GetString()));
        var plain = await (await Alpha.PostJsonAsync("v1/chat/completions", Request(stream: false, maxTokens: 5, user: "Say something."))).ReadJsonAsync();
        Assert.Equal(Text(plain), streamed);
    }

    [Fact]
    public async Task What_the_local_model_cannot_do_is_a_problem_with_the_reason()
    {
        var unknown = await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""")).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains(LocalModelServer.ModelName, unknown.GetProperty("detail").GetString(), StringComparison.Ordinal);

        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[]}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"wizard","content":"hi"}]}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":7}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}],"n":3}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await Alpha.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}],"stop":7}""")).ReadProblemAsync(HttpStatusCode.BadRequest);

        // Longer than the model's 1024 positions: refused before any work, with the limit named.
        string huge = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = string.Join(' ', Enumerable.Repeat("memory", 1200)) } } });
        var tooLong = await (await Alpha.PostJsonAsync("v1/chat/completions", huge)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("1024", tooLong.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Without a key: 401, as everywhere else.
        var anonymous = server.Host.CreateClient();
        await (await anonymous.PostJsonAsync("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}]}""")).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_server_without_a_local_model_answers_501_for_chat_and_lists_no_model()
    {
        await using var plain = await ServerHost.StartAsync(TestStores.Sqlite());
        var client = plain.CreateClient();
        var problem = await (await client.PostJsonAsync("v1/chat/completions", """{"model":"x","messages":[{"role":"user","content":"hi"}]}""")).ReadProblemAsync(HttpStatusCode.NotImplemented);
        Assert.Contains("Decoder:ModelDirectory", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var models = await (await client.GetAsync("v1/models")).ReadJsonAsync();
        Assert.Equal(0, models.GetProperty("data").GetArrayLength());
    }

    /// <summary>
    /// Blocks are stored in the background after a completion (other tests may have stored a shorter shared prefix
    /// already); ask again until the whole prefix is served from the cache.
    /// </summary>
    private async Task<JsonElement> WaitForReuseAsync(string body, int expected)
    {
        for (int attempt = 0; ; attempt++)
        {
            var answer = await (await Alpha.PostJsonAsync("v1/chat/completions", body)).ReadJsonAsync();
            if (answer.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32() >= expected || attempt >= 20)
            {
                return answer;
            }

            await Task.Delay(100);
        }
    }

    private static string Text(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    private static string Request(bool stream, int maxTokens, string user, bool includeUsage = false) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["model"] = LocalModelServer.ModelName,
        ["messages"] = new[] { new { role = "system", content = LongSystemPrompt }, new { role = "user", content = user } },
        ["stream"] = stream,
        ["max_tokens"] = maxTokens,
        ["stream_options"] = includeUsage ? new { include_usage = true } : null,
    });
}
