using System.ComponentModel;
using System.Text.Json;
using Memory.Conversations.Errors;
using Memory.Conversations.Model;
using Memory.Conversations.Requests;

namespace Memory.Server.Contracts;

/// <summary>Body of <c>POST /memories</c> (Mem0's MemoryCreate); <c>infer</c> defaults to true as in Mem0.</summary>
internal sealed class AddMemoriesBody
{
    [Description("The conversation messages to remember, oldest first.")]
    public List<MessageBody?>? Messages { get; set; }

    [Description("Who the memories are about. At least one of user_id, agent_id, run_id is required.")]
    public string? UserId { get; set; }

    [Description("Which agent holds the memories.")]
    public string? AgentId { get; set; }

    [Description("Which run or session the memories belong to.")]
    public string? RunId { get; set; }

    [Description("Stored with every memory made from this request; message metadata is merged over it.")]
    public Dictionary<string, JsonElement>? Metadata { get; set; }

    [Description("true (default, as in Mem0): extract facts with an LLM (501 while none is configured). false: store each message verbatim.")]
    public bool? Infer { get; set; }

    [Description("With infer=true: queue the extraction and answer 202 at once with a job to poll at /v1/extractions/{id} (default false).")]
    public bool? AsyncMode { get; set; }

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
