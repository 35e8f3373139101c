using System.Diagnostics.CodeAnalysis;
using Memory.Client;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace Memory.SemanticKernel.Injection;

/// <summary>
/// Semantic Kernel's <see cref="AIContextProvider"/> hook (experimental SKEXP0130), as consumed by its agents
/// (<c>AgentThread.AIContextProviders</c>): before each model call, returns the memories relevant to the newest user
/// message as extra instructions; optionally stores every user message as it is added. The scope is fixed when the
/// provider is made.
/// </summary>
[Experimental("SKEXP0130")]
public sealed class MemoryContextProvider : AIContextProvider
{
    private readonly IMemoryClient _client;
    private readonly RelevantMemories _memories;

    public MemoryContextProvider(IMemoryClient client, MemoryScopeIds scope, MemoryInjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.IsEmpty)
        {
            throw new ArgumentException("The memory scope needs at least one of UserId, AgentId or RunId.", nameof(scope));
        }

        options ??= new MemoryInjectionOptions();
        options.Validate();
        _client = client;
        _memories = new RelevantMemories(client, scope, options);
    }

    public override async Task<AIContext> ModelInvokingAsync(ICollection<ChatMessage> newMessages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newMessages);
        var said = newMessages.LastOrDefault(m => m.Role == ChatRole.User)?.Text;
        return new AIContext { Instructions = await _memories.DescribeAsync(said, cancellationToken) };
    }

    public override async Task MessageAddingAsync(string? conversationId, ChatMessage newMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newMessage);
        if (!_memories.Options.RememberUserMessages || newMessage.Role != ChatRole.User || string.IsNullOrWhiteSpace(newMessage.Text))
        {
            return;
        }

        await _client.AddAsync(new MemoryAddRequest
        {
            Messages = [new MemoryMessage("user", newMessage.Text) { MessageId = newMessage.MessageId }],
            Scope = _memories.Scope,
            Infer = _memories.Options.Infer,
        }, cancellationToken);
    }
}
