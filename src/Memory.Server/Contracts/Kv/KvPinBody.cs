using System.ComponentModel;
using Memory.Conversations.Errors;
using Memory.Server.Contracts.OpenAI;

namespace Memory.Server.Contracts.Kv;

/// <summary>
/// Body of <c>POST /v1/kv/pin</c> and <c>/v1/kv/unpin</c>: the prefix as chat messages (rendered like a chat request,
/// without the generation prompt), as plain text, or as token ids; exactly one of them.
/// </summary>
internal sealed class KvPinBody
{
    [Description("The served model's id; the only model when left out.")]
    public string? Model { get; set; }

    [Description("Messages rendered with the chat template, e.g. a system prompt shared by many chats.")]
    public List<ChatMessageBody>? Messages { get; set; }

    [Description("Plain text, tokenized as a prompt (beginning-of-text token included where the model has one).")]
    public string? Text { get; set; }

    [Description("Token ids of the prefix.")]
    public List<int>? Tokens { get; set; }

    public void Validate()
    {
        int given = (Messages is not null ? 1 : 0) + (Text is not null ? 1 : 0) + (Tokens is not null ? 1 : 0);
        if (given != 1)
        {
            throw new MemoryValidationException("messages", "Give exactly one of 'messages', 'text' or 'tokens'.");
        }

        if (Messages is not null)
        {
            if (Messages.Count == 0)
            {
                throw new MemoryValidationException("messages", "'messages' must hold at least one message.");
            }

            for (int i = 0; i < Messages.Count; i++)
            {
                Messages[i].Validate(i);
            }
        }
    }
}
