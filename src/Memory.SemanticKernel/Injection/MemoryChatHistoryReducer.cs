using Memory.Client;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Memory.SemanticKernel.Injection;

/// <summary>
/// Automatic memory for chat loops over <c>IChatCompletionService</c> (and agents' <c>HistoryReducer</c>): before
/// the model call, <c>await history.ReduceInPlaceAsync(reducer)</c> puts one system message with the memories
/// relevant to the last user message after the leading system messages, replacing the one a previous turn put
/// there, so memories never pile up in the history. The scope is fixed when the reducer is made.
/// </summary>
public sealed class MemoryChatHistoryReducer : IChatHistoryReducer
{
    /// <summary>Metadata key that marks the system message this reducer wrote.</summary>
    public const string InjectedMetadataKey = "memory.relevant_memories";

    private readonly RelevantMemories _memories;

    public MemoryChatHistoryReducer(IMemoryClient client, MemoryScopeIds scope, MemoryInjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.IsEmpty)
        {
            throw new ArgumentException("The memory scope needs at least one of UserId, AgentId or RunId.", nameof(scope));
        }

        options ??= new MemoryInjectionOptions();
        options.Validate();
        _memories = new RelevantMemories(client, scope, options);
    }

    public async Task<IEnumerable<ChatMessageContent>?> ReduceAsync(IReadOnlyList<ChatMessageContent> chatHistory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatHistory);
        var said = chatHistory.LastOrDefault(m => m.Role == AuthorRole.User)?.Content;
        var instructions = await _memories.DescribeAsync(said, cancellationToken);

        var kept = chatHistory.Where(m => !IsInjected(m)).ToList();
        if (instructions is not null)
        {
            var afterSystem = kept.TakeWhile(m => m.Role == AuthorRole.System || m.Role == AuthorRole.Developer).Count();
            kept.Insert(afterSystem, new ChatMessageContent(AuthorRole.System, instructions,
                metadata: new Dictionary<string, object?> { [InjectedMetadataKey] = true }));
        }

        // Null tells the caller nothing changed (same messages, same memories in the same place).
        return kept.Count == chatHistory.Count && kept.Zip(chatHistory).All(pair => SameMessage(pair.First, pair.Second)) ? null : kept;
    }

    private static bool IsInjected(ChatMessageContent message) =>
        message.Role == AuthorRole.System
        && ((message.Metadata?.ContainsKey(InjectedMetadataKey) ?? false)
            || (message.Content?.StartsWith(RelevantMemories.Heading, StringComparison.Ordinal) ?? false));

    private static bool SameMessage(ChatMessageContent kept, ChatMessageContent original) =>
        ReferenceEquals(kept, original)
        || (IsInjected(kept) && IsInjected(original) && string.Equals(kept.Content, original.Content, StringComparison.Ordinal));
}
