using System.Text;
using System.Text.Json;
using Memory.Conversations.Errors;

namespace Memory.Server.Contracts.OpenAI;

/// <summary>One message of a chat completion request.</summary>
internal sealed class ChatMessageBody
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant"];

    public string? Role { get; set; }

    /// <summary>A string, or an array of content parts of which only {type: text} are supported.</summary>
    public JsonElement? Content { get; set; }

    public void Validate(int index)
    {
        if (Role is null || !Roles.Contains(Role, StringComparer.Ordinal))
        {
            throw new MemoryValidationException($"messages[{index}].role", $"messages[{index}].role must be one of {string.Join(", ", Roles)} (tool messages need tool support, which the local model lacks).");
        }

        _ = Text(index);
    }

    /// <summary>The message's text: the string, or its text parts joined.</summary>
    public string Text(int index)
    {
        var content = Content;
        if (content is null || content.Value.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        var value = content.Value;
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new MemoryValidationException($"messages[{index}].content", $"messages[{index}].content must be a string or an array of text parts.");
        }

        var text = new StringBuilder();
        foreach (var part in value.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
            {
                throw new MemoryValidationException($"messages[{index}].content", $"messages[{index}].content: only text parts ({{\"type\": \"text\", \"text\": ...}}) are supported by the local model.");
            }

            text.Append(partText.GetString());
        }

        return text.ToString();
    }

    /// <summary>OpenAI's newer "developer" role is the system role for the chat template.</summary>
    public string TemplateRole => Role == "developer" ? "system" : Role!;
}
