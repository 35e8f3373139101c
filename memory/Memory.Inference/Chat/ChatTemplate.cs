using System.Text.Json;
using Memory.Inference.Chat.Templates;

namespace Memory.Inference.Chat;

/// <summary>
/// A Hugging Face chat template (the Jinja <c>chat_template</c> of a tokenizer_config.json), parsed once and rendered
/// for many conversations, concurrently if need be. Rendering matches Python jinja2 3.1 as transformers runs it:
/// <c>ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)</c> with the loop-controls extension, default
/// (lenient) undefined values, <c>raise_exception</c>, <c>strftime_now</c>, transformers' <c>tojson</c> and its
/// <c>{% generation %}</c> tag; the template sees <c>messages</c>, <c>add_generation_prompt</c>, <c>tools</c> and
/// <c>documents</c> (None unless given), <c>bos_token</c>/<c>eos_token</c> when known, and the caller's variables.
/// </summary>
/// <remarks>
/// Templates come from model repositories, so rendering is bounded: at most <see cref="MaxOutputLength"/> characters of
/// output, <see cref="MaxSteps"/> evaluation steps, <see cref="MaxWork"/> characters and items built in total and
/// <see cref="MaxDepth"/> levels of nesting or recursion. Exceeding one is a <see cref="ChatTemplateException"/>, never a
/// hang or a stack overflow.
/// </remarks>
public sealed class ChatTemplate
{
    /// <summary>Most characters a render may produce, and the largest string or list a template may build (8 Mi).</summary>
    public const int MaxOutputLength = 8 * 1024 * 1024;

    /// <summary>Most statements and expression nodes one render may evaluate (loop iterations included).</summary>
    public const long MaxSteps = 5_000_000;

    /// <summary>Most characters and collection items one render may build in total, output and intermediate values together.</summary>
    public const long MaxWork = 256L * 1024 * 1024;

    /// <summary>Deepest nesting of statements, expressions, macro calls and recursive loops while rendering.</summary>
    public const int MaxDepth = 400;

    private readonly TemplateDocument _document;
    private readonly TimeProvider _clock;

    private ChatTemplate(TemplateDocument document, string source, string? bosToken, string? eosToken, TimeProvider clock)
    {
        _document = document;
        Source = source;
        BosToken = bosToken;
        EosToken = eosToken;
        _clock = clock;
    }

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>Passed to the template as <c>bos_token</c> when not null.</summary>
    public string? BosToken { get; }

    /// <summary>Passed to the template as <c>eos_token</c> when not null.</summary>
    public string? EosToken { get; }

    /// <summary>Parses a template; throws <see cref="ChatTemplateException"/> with the line and column of a syntax error.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(TemplateParser.Parse(source), source, null, null, TimeProvider.System);
    }

    /// <summary>
    /// Reads the chat template of a Hugging Face tokenizer: a <c>chat_template.jinja</c> file next to the config wins (as
    /// in transformers), else <c>"chat_template"</c> as a string, or as a list of <c>{"name", "template"}</c> from which
    /// the one named <c>default</c> is taken. <c>bos_token</c>/<c>eos_token</c> are read as strings or AddedToken objects
    /// (<c>{"content": ...}</c>). Returns null when the tokenizer has no chat template.
    /// </summary>
    public static ChatTemplate? FromTokenizerConfig(string tokenizerConfigJsonPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerConfigJsonPath);
        using var document = JsonDocument.Parse(File.ReadAllText(tokenizerConfigJsonPath));
        var root = document.RootElement;
        string? bos = SpecialToken(root, "bos_token");
        string? eos = SpecialToken(root, "eos_token");
        string? directory = Path.GetDirectoryName(Path.GetFullPath(tokenizerConfigJsonPath));
        string? source = null;
        if (directory is not null && File.Exists(Path.Combine(directory, "chat_template.jinja")))
        {
            source = File.ReadAllText(Path.Combine(directory, "chat_template.jinja"));
        }
        else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("chat_template", out var template))
        {
            source = template.ValueKind switch
            {
                JsonValueKind.String => template.GetString(),
                JsonValueKind.Array => DefaultTemplate(template, tokenizerConfigJsonPath),
                JsonValueKind.Null => null,
                _ => throw new ChatTemplateException($"{tokenizerConfigJsonPath}: \"chat_template\" must be a string or a list of {{\"name\", \"template\"}}"),
            };
        }

        return source is null ? null : Parse(source).WithSpecialTokens(bos, eos);
    }

    /// <summary>The same parsed template with other <c>bos_token</c>/<c>eos_token</c> values.</summary>
    public ChatTemplate WithSpecialTokens(string? bosToken, string? eosToken) => new(_document, Source, bosToken, eosToken, _clock);

    /// <summary>The same parsed template reading the time for <c>strftime_now</c> from <paramref name="clock"/> (local time, as Python's <c>datetime.now()</c>).</summary>
    public ChatTemplate WithClock(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return new ChatTemplate(_document, Source, BosToken, EosToken, clock);
    }

    /// <summary>
    /// Renders the conversation. <paramref name="variables"/> adds or overrides template variables (<c>tools</c>,
    /// <c>documents</c>, <c>date_string</c>, <c>enable_thinking</c>, ...); values may be string, bool, numbers, null,
    /// <see cref="IReadOnlyList{T}"/> of object, <see cref="IReadOnlyDictionary{TKey, TValue}"/> of string to object, or
    /// <see cref="JsonElement"/>. <c>messages</c> and <c>add_generation_prompt</c> come from the other arguments.
    /// </summary>
    /// <exception cref="ChatTemplateException">The template failed, refused the conversation (<see cref="ChatTemplateException.RaisedByTemplate"/>) or exceeded a limit.</exception>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["tools"] = null,
            ["documents"] = null,
        };
        if (BosToken is not null)
        {
            values["bos_token"] = BosToken;
        }

        if (EosToken is not null)
        {
            values["eos_token"] = EosToken;
        }

        if (variables is not null)
        {
            foreach (var (name, value) in variables)
            {
                if (name is "messages" or "add_generation_prompt")
                {
                    throw new ArgumentException($"'{name}' is set by Render's own arguments, not through variables", nameof(variables));
                }

                values[name] = ValueConverter.Convert(value);
            }
        }

        values["messages"] = new ListValue(messages.Select(m => (object?)ValueConverter.Message(m)).ToArray());
        values["add_generation_prompt"] = addGenerationPrompt;
        var renderer = new TemplateRenderer(_document, new Scope(values, TemplateGlobals.Scope), _clock);
        return renderer.Render();
    }

    private static string? SpecialToken(JsonElement root, string name)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var token))
        {
            return null;
        }

        return token.ValueKind switch
        {
            JsonValueKind.String => token.GetString(),
            JsonValueKind.Object when token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
            _ => null,
        };
    }

    private static string DefaultTemplate(JsonElement templates, string path)
    {
        var names = new List<string>();
        foreach (var entry in templates.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("template", out var template) || template.ValueKind != JsonValueKind.String)
            {
                throw new ChatTemplateException($"{path}: each entry of \"chat_template\" must be {{\"name\": ..., \"template\": ...}}");
            }

            if (name.GetString() == "default")
            {
                return template.GetString()!;
            }

            names.Add(name.GetString()!);
        }

        throw new ChatTemplateException($"{path}: the tokenizer has several chat templates ({string.Join(", ", names)}) and none is named \"default\"");
    }
}
