using System.Text.Json;
using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>What the renderer passes to a template (as transformers does) and which .NET values it accepts as variables.</summary>
public sealed class ChatTemplateApiTests
{
    [Fact]
    public void Passes_messages_generation_prompt_special_tokens_and_empty_tools_like_transformers()
    {
        var chat = ChatTemplate.Parse("{{ messages }}|{{ add_generation_prompt }}|{{ bos_token }}|{{ eos_token }}|{{ tools }}|{{ documents }}|{{ tools is defined }}")
            .WithSpecialTokens("<s>", "</s>");
        Assert.Equal("[{'role': 'user', 'content': 'hi'}]|True|<s>|</s>|None|None|True", chat.Render([new ChatTurn("user", "hi")], true));
        Assert.Equal("|False", ChatTemplate.Parse("{{ bos_token }}|{{ bos_token is defined }}").Render([], false));
    }

    [Fact]
    public void Accepts_tools_as_json()
    {
        using var tools = JsonDocument.Parse("""
            [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"n": {"type": "integer", "default": 3}, "r": {"type": "number", "default": 0.5}, "x": {"type": "number", "default": 2.0}}}}}]
            """);
        var chat = ChatTemplate.Parse("{% for t in tools %}{{ t.function.name }}:{{ t|tojson }}{% endfor %}");
        Assert.Equal(
            """f:{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"n": {"type": "integer", "default": 3}, "r": {"type": "number", "default": 0.5}, "x": {"type": "number", "default": 2.0}}}}}""",
            chat.Render([], false, new Dictionary<string, object?> { ["tools"] = tools.RootElement }));
    }

    [Fact]
    public void Accepts_dotnet_lists_dictionaries_and_numbers()
    {
        var variables = new Dictionary<string, object?>
        {
            ["list"] = new List<object?> { 1, 2.5, "s", true, null },
            ["dict"] = new Dictionary<string, object?> { ["b"] = 1, ["a"] = new[] { "x", "y" } },
            ["int"] = 3,
            ["long"] = 4L,
            ["float"] = 0.5f,
            ["decimal"] = 2.0m,
            ["turn"] = new ChatTurn("tool", "42"),
            ["strings"] = new Dictionary<string, string> { ["k"] = "v" },
            ["names"] = new List<string> { "a", "b" },
            ["numbers"] = new[] { 1, 2 },
            ["node"] = System.Text.Json.Nodes.JsonNode.Parse("""{"n": 1, "f": 1.0}"""),
        };
        Assert.Equal(
            "[1, 2.5, 's', True, None]|{'b': 1, 'a': ['x', 'y']}|7|0.5|2|tool:42|{'k': 'v'}|a,b|3|{'n': 1, 'f': 1.0}",
            ChatTemplate.Parse("{{ list }}|{{ dict }}|{{ int + long }}|{{ float }}|{{ decimal }}|{{ turn.role }}:{{ turn['content'] }}|{{ strings }}|{{ names|join(',') }}|{{ numbers|sum }}|{{ node }}")
                .Render([], false, variables));
    }

    [Fact]
    public void Refuses_values_it_cannot_represent_and_variables_that_replace_the_arguments()
    {
        var chat = ChatTemplate.Parse("{{ x }}");
        Assert.Throws<ArgumentException>(() => chat.Render([], false, new Dictionary<string, object?> { ["x"] = new Uri("http://example.com") }));
        Assert.Throws<ArgumentException>(() => chat.Render([], false, new Dictionary<string, object?> { ["messages"] = "nope" }));
        Assert.Throws<ArgumentException>(() => chat.Render([], false, new Dictionary<string, object?> { ["add_generation_prompt"] = true }));
        var selfReferencing = new List<object?>();
        selfReferencing.Add(selfReferencing);
        Assert.Throws<ArgumentException>(() => chat.Render([], false, new Dictionary<string, object?> { ["x"] = selfReferencing }));
    }

    [Fact]
    public void Strftime_now_reads_the_given_clock_as_local_time()
    {
        var chat = ChatTemplate.Parse("{{ strftime_now('%d %b %Y %H:%M') }}").WithClock(new FixedClock(new DateTime(2025, 3, 9, 7, 5, 0)));
        Assert.Equal("09 Mar 2025 07:05", chat.Render([], false));
    }

    [Fact]
    public void With_methods_share_the_parsed_template_and_keep_the_source()
    {
        const string source = "{{ bos_token }}x";
        var chat = ChatTemplate.Parse(source);
        var tokens = chat.WithSpecialTokens("<b>", null);
        Assert.Equal(source, tokens.Source);
        Assert.Equal("x", chat.Render([], false));
        Assert.Equal("<b>x", tokens.Render([], false));
        Assert.Null(tokens.EosToken);
    }
}
