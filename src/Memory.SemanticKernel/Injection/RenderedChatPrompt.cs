using System.Security;
using System.Xml;
using System.Xml.Linq;

namespace Memory.SemanticKernel.Injection;

/// <summary>
/// A prompt as Semantic Kernel renders it: either plain text (sent as one user message) or a chat prompt of
/// <c>&lt;message role="..."&gt;</c> elements, which Semantic Kernel parses into a chat history when the whole
/// prompt is well-formed XML.
/// </summary>
internal sealed class RenderedChatPrompt
{
    private readonly string _prompt;
    private readonly XElement? _chat;

    private RenderedChatPrompt(string prompt, XElement? chat)
    {
        _prompt = prompt;
        _chat = chat;
    }

    public static RenderedChatPrompt Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (!prompt.Contains("<message", StringComparison.Ordinal))
        {
            return new RenderedChatPrompt(prompt, null);
        }

        try
        {
            var root = XElement.Parse("<root>" + prompt + "</root>", LoadOptions.PreserveWhitespace);
            return new RenderedChatPrompt(prompt, root.Elements("message").Any() ? root : null);
        }
        catch (XmlException)
        {
            return new RenderedChatPrompt(prompt, null);
        }
    }

    /// <summary>What the user said last: the last user message of a chat prompt, or the whole plain prompt.</summary>
    public string LastUserText()
    {
        if (_chat is null)
        {
            return _prompt;
        }

        var messages = _chat.Elements("message").ToList();
        var lastUser = messages.LastOrDefault(m => string.Equals((string?)m.Attribute("role"), "user", StringComparison.OrdinalIgnoreCase));
        return (lastUser ?? messages[^1]).Value;
    }

    /// <summary>The prompt with a system message holding <paramref name="instructions"/> in front.</summary>
    public string WithSystemMessageFirst(string instructions)
    {
        var system = $"<message role=\"system\">{SecurityElement.Escape(instructions)}</message>\n";

        // A plain prompt becomes a chat prompt, so its text must be escaped to survive Semantic Kernel's XML parse.
        return _chat is null
            ? system + $"<message role=\"user\">{SecurityElement.Escape(_prompt)}</message>"
            : system + _prompt;
    }
}
