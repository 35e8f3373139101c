namespace Memory.Inference.Tests;

/// <summary>
/// Small templates (ChatTemplates/snippets.json) that pin down one jinja2 behaviour each — operators, filters, tests,
/// methods, scoping, undefined values, printing — checked against the output Python jinja2 produced for them.
/// </summary>
public sealed class ChatTemplateSnippetTests
{
    [Theory]
    [MemberData(nameof(Names))]
    public void Renders_like_jinja2(string name)
    {
        var snippet = ChatTemplateFixtures.Snippet(name);
        string source = snippet.GetProperty("template").GetString()!;
        bool checkMessage = !snippet.TryGetProperty("check_message", out var check) || check.GetBoolean();
        ChatTemplateFixtures.AssertMatches(
            ChatTemplateFixtures.ExpectedSnippet(name),
            () => Memory.Inference.Chat.ChatTemplate.Parse(source).WithClock(new FixedClock(ChatTemplateFixtures.Now)).Render([], false, ChatTemplateFixtures.Variables(snippet)),
            checkMessage);
    }

    public static TheoryData<string> Names() => new(ChatTemplateFixtures.SnippetNames());
}
