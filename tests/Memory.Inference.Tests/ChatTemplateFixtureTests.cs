namespace Memory.Inference.Tests;

/// <summary>
/// Every fixture template (ChatTemplates/*.jinja in the style of Qwen2.5, Llama 3/2, Mistral, Gemma, Phi-3 and SmolLM,
/// plus the demo model's own template) rendered for every fixture conversation, with and without the generation prompt,
/// must equal what Python jinja2 rendered (or fail the same way).
/// </summary>
public sealed class ChatTemplateFixtureTests
{
    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_like_jinja2(string template, string conversation, bool addGenerationPrompt)
    {
        var chat = ChatTemplateFixtures.Template(template);
        var input = ChatTemplateFixtures.Conversation(conversation);
        var expected = ChatTemplateFixtures.ExpectedCase(template, conversation, addGenerationPrompt);
        ChatTemplateFixtures.AssertMatches(expected, () => chat.Render(ChatTemplateFixtures.Messages(input), addGenerationPrompt, ChatTemplateFixtures.Variables(input)));
    }

    [Fact]
    public void Covers_every_fixture_template_and_conversation()
    {
        var names = ChatTemplateFixtures.Expected.GetProperty("templates").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(ChatTemplateFixtures.TemplateNames().OrderBy(n => n, StringComparer.Ordinal), names.OrderBy(n => n, StringComparer.Ordinal));
        string[] files = Directory.GetFiles(ChatTemplateFixtures.Directory, "*.jinja").Select(Path.GetFileName).OfType<string>().ToArray();
        Assert.All(files, file => Assert.Contains(file, names));
        Assert.True(ChatTemplateFixtures.ConversationNames().Count() >= 8);
    }

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (string template in ChatTemplateFixtures.TemplateNames())
        {
            foreach (string conversation in ChatTemplateFixtures.ConversationNames())
            {
                data.Add(template, conversation, false);
                data.Add(template, conversation, true);
            }
        }

        return data;
    }
}
