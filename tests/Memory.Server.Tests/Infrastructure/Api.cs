using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Memory.Server.Tests.Infrastructure;

/// <summary>Sends raw JSON as a client would and reads answers as JSON, asserting the ProblemDetails shape of errors.</summary>
internal static class Api
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.SendJsonAsync(HttpMethod.Post, path, json);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json) =>
        client.SendJsonAsync(HttpMethod.Put, path, json);

    public static async Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        return await client.SendAsync(request);
    }

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with the given status and returns it.</summary>
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }

    public static async Task<string> AddOneAsync(this HttpClient client, string userId, string content, string role = "user")
    {
        var response = await client.PostJsonAsync("memories", $$"""
            {"messages": [{"role": {{JsonSerializer.Serialize(role)}}, "content": {{JsonSerializer.Serialize(content)}}}],
             "user_id": {{JsonSerializer.Serialize(userId)}}, "infer": false}
            """);
        var json = await response.ReadJsonAsync();
        var result = Assert.Single(json.GetProperty("results").EnumerateArray());
        Assert.Equal("ADD", result.GetProperty("event").GetString());
        return result.GetProperty("id").GetString()!;
    }

    public static async Task<IReadOnlyList<JsonElement>> ListAsync(this HttpClient client, string query)
    {
        var json = await (await client.GetAsync("memories?" + query)).ReadJsonAsync();
        return [.. json.GetProperty("results").EnumerateArray()];
    }

    public static async Task<IReadOnlyList<JsonElement>> SearchAsync(this HttpClient client, string json)
    {
        var found = await (await client.PostJsonAsync("search", json)).ReadJsonAsync();
        return [.. found.GetProperty("results").EnumerateArray()];
    }

    public static Task<JsonElement> GetJsonAsync(this HttpClient client, string path) =>
        client.GetFromJsonAsync<JsonElement>(path);
}
