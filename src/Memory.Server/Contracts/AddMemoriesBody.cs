using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>Body of <c>POST /memories</c> (Mem0's MemoryCreate); <c>infer</c> defaults to true as in Mem0.</summary>
internal sealed class AddMemoriesBody
{
    public List<MessageBody?>? Messages { get; set; }

    public string? UserId { get; set; }

    public string? AgentId { get; set; }

    public string? RunId { get; set; }

    public Dictionary<string, JsonElement>? Metadata { get; set; }

    public bool? Infer { get; set; }

    public AddMemoriesRequest ToRequest(string tenant, string actor)
    {
        if (Messages is null)
        {
            throw new MemoryValidationException("messages", "'messages' is required: a list of {\"role\", \"content\"} objects.");
        }

        var messages = new List<IncomingMessage>(Messages.Count);
        for (var i = 0; i < Messages.Count; i++)
        {
            var message = Messages[i] ?? throw new MemoryValidationException($"messages[{i}]", $"messages[{i}] is null; expected {{\"role\", \"content\"}}.");
            if (string.IsNullOrWhiteSpace(message.Role))
            {
                throw new MemoryValidationException($"messages[{i}].role", $"messages[{i}].role is required (e.g. \"user\" or \"assistant\").");
            }

            if (message.Content is null)
            {
                throw new MemoryValidationException($"messages[{i}].content", $"messages[{i}].content is required.");
            }

            messages.Add(new IncomingMessage(message.Role, message.Content, message.CallerMessageId(), message.Timestamp, message.Metadata));
        }

        return new AddMemoriesRequest(tenant, MemoryScope.From(UserId, AgentId, RunId), messages, Metadata, Infer ?? true, actor);
    }
}
