using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>Reading the chat template and special tokens from a Hugging Face tokenizer_config.json the way transformers does.</summary>
public sealed class ChatTemplateTokenizerConfigTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"chat-template-{Guid.NewGuid():N}");

    public ChatTemplateTokenizerConfigTests()
    {
        Directory.CreateDirectory(_directory);
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
    }

    private string Config(string json)
    {
        string path = Path.Combine(_directory, "tokenizer_config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Reads_a_string_template_and_added_token_special_tokens()
    {
        string path = Config("""
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "</s>",
             "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{{ eos_token }}"}
            """);
        var chat = ChatTemplate.FromTokenizerConfig(path)!;
        Assert.Equal("<s>", chat.BosToken);
        Assert.Equal("</s>", chat.EosToken);
        Assert.Equal("<s>[user]hi</s>", chat.Render([new ChatTurn("user", "hi")], false));
    }

    [Fact]
    public void Takes_the_template_named_default_from_a_list()
    {
        string path = Config("""
            {"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain {{ add_generation_prompt }}"}]}
            """);
        var chat = ChatTemplate.FromTokenizerConfig(path)!;
        Assert.Equal("plain True", chat.Render([], true));
        Assert.Null(chat.BosToken);
    }

    [Fact]
    public void A_list_without_a_default_is_an_error_naming_the_templates()
    {
        string path = Config("""{"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "rag", "template": "y"}]}""");
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromTokenizerConfig(path));
        Assert.Contains("tool_use, rag", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Is_null_when_the_tokenizer_has_no_chat_template()
    {
        Assert.Null(ChatTemplate.FromTokenizerConfig(Config("""{"bos_token": "<s>"}""")));
        Assert.Null(ChatTemplate.FromTokenizerConfig(Config("""{"chat_template": null}""")));
    }

    [Fact]
    public void A_chat_template_jinja_file_next_to_the_config_wins()
    {
        string path = Config("""{"eos_token": "<e>", "chat_template": "from the config"}""");
        File.WriteAllText(Path.Combine(_directory, "chat_template.jinja"), "from the file {{ eos_token }}\n");
        Assert.Equal("from the file <e>", ChatTemplate.FromTokenizerConfig(path)!.Render([], false));
    }

    [Fact]
    public void Reports_a_syntax_error_in_the_configured_template()
    {
        string path = Config("""{"chat_template": "{% for m in messages %}"}""");
        Assert.Contains("endfor", Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromTokenizerConfig(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_the_demo_model_template()
    {
        var chat = ChatTemplateFixtures.Template("models/demo/tokenizer_config.json");
        Assert.Equal("<|endoftext|>", chat.BosToken);
        Assert.Equal("<|user|>\nhi<|end|>\n<|assistant|>\n", chat.Render([new ChatTurn("user", "hi")], true));
    }
}
