using System.Reflection;
using System.Text.Json;
using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>
/// The chat-template fixtures (ChatTemplates/*.jinja, conversations.json, snippets.json) and the outputs Python jinja2
/// produced for them (expected.json, written by tools/chat_templates/render_reference.py).
/// </summary>
internal static class ChatTemplateFixtures
{
    /// <summary>The time render_reference.py gives strftime_now.</summary>
    public static readonly DateTime Now = new(2024, 7, 26, 14, 5, 9, DateTimeKind.Unspecified);

    private static readonly Lazy<JsonElement> ExpectedJson = new(() => Load("expected.json"));
    private static readonly Lazy<JsonElement> ConversationsJson = new(() => Load("conversations.json"));
    private static readonly Lazy<JsonElement> SnippetsJson = new(() => Load("snippets.json"));
    private static readonly Lazy<JsonElement> ManifestJson = new(() => Load("manifest.json"));

    public static JsonElement Expected => ExpectedJson.Value;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "ChatTemplates");

    public static IEnumerable<string> TemplateNames() => ManifestJson.Value.GetProperty("templates").EnumerateArray()
        .Select(t => t.TryGetProperty("file", out var file) ? file.GetString()! : t.GetProperty("tokenizer_config").GetString()!);

    public static IEnumerable<string> ConversationNames() => ConversationsJson.Value.EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static IEnumerable<string> SnippetNames() => SnippetsJson.Value.EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    /// <summary>The template as the tests render it: the fixture file or the tokenizer config, its special tokens, the fixed clock.</summary>
    public static ChatTemplate Template(string name)
    {
        var entry = ManifestJson.Value.GetProperty("templates").EnumerateArray()
            .First(t => (t.TryGetProperty("file", out var file) ? file.GetString() : t.GetProperty("tokenizer_config").GetString()) == name);
        ChatTemplate template;
        if (entry.TryGetProperty("file", out var fileName))
        {
            template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(Directory, fileName.GetString()!)))
                .WithSpecialTokens(OptionalString(entry, "bos_token"), OptionalString(entry, "eos_token"));
        }
        else
        {
            template = ChatTemplate.FromTokenizerConfig(Path.Combine(RepositoryRoot(), name))
                ?? throw new InvalidOperationException($"{name} has no chat template");
        }

        return template.WithClock(new FixedClock(Now));
    }

    public static JsonElement Conversation(string name) => ConversationsJson.Value.EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static JsonElement Snippet(string name) => SnippetsJson.Value.EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static JsonElement ExpectedSnippet(string name) =>
        Expected.GetProperty("snippets").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static JsonElement ExpectedCase(string template, string conversation, bool addGenerationPrompt) =>
        Expected.GetProperty("templates").GetProperty(template).GetProperty("cases").EnumerateArray()
            .First(c => c.GetProperty("conversation").GetString() == conversation && c.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt);

    public static List<ChatTurn> Messages(JsonElement conversation) => conversation.GetProperty("messages").EnumerateArray()
        .Select(m => new ChatTurn(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();

    /// <summary>A JSON object's properties as template variables (JsonElement values, converted by the renderer).</summary>
    public static Dictionary<string, object?> Variables(JsonElement owner)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (owner.TryGetProperty("variables", out var values))
        {
            foreach (var property in values.EnumerateObject())
            {
                variables[property.Name] = property.Value.Clone();
            }
        }

        return variables;
    }

    /// <summary>Checks a render against jinja2's result: the same text, or a failure of the same kind with jinja2's message in ours.</summary>
    public static void AssertMatches(JsonElement expected, Func<string> render, bool checkMessage = true)
    {
        if (expected.TryGetProperty("output", out var output))
        {
            Assert.Equal(output.GetString(), render());
            return;
        }

        string kind = expected.GetProperty("error").GetString()!;
        string message = expected.GetProperty("message").GetString()!;
        var error = Assert.Throws<ChatTemplateException>(render);
        if (kind == "TemplateError")
        {
            Assert.True(error.RaisedByTemplate, $"expected the template's own raise_exception, got: {error.Message}");
            Assert.Equal(message, error.Message);
            return;
        }

        Assert.False(error.RaisedByTemplate);
        if (checkMessage)
        {
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
        }
    }

    private static string? OptionalString(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement Load(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, file)));
        return document.RootElement.Clone();
    }

    private static string RepositoryRoot()
    {
        string? project = typeof(ChatTemplateFixtures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ProjectDirectory")?.Value;
        foreach (string start in new[] { AppContext.BaseDirectory, project }.OfType<string>())
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Memory.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException($"the repository root (Memory.sln) was not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>A clock stopped at one local time (time zone UTC), for strftime_now.</summary>
internal sealed class FixedClock(DateTime localTime) : TimeProvider
{
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow() => new(DateTime.SpecifyKind(localTime, DateTimeKind.Utc));
}
