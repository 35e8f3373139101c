using System.ComponentModel;
using System.Text.Json.Nodes;
using Memory.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;

namespace Memory.SemanticKernel;

/// <summary>
/// Long-term memory as Semantic Kernel functions: remember, recall, forget, list. The scope (user, agent, run)
/// is fixed by the host when the plugin is made, and no function takes it as an argument, so a model can only
/// reach the memories of the conversation it serves; <c>forget</c> also refuses ids outside that scope.
/// Works over any <see cref="IMemoryClient"/>: the REST <see cref="MemoryClient"/> or the in-process one.
/// </summary>
public sealed class MemoryPlugin
{
    public const string DefaultPluginName = "memory";

    private readonly IMemoryClient _client;
    private readonly MemoryScopeIds _scope;
    private readonly MemoryPluginOptions _options;
    private readonly ILogger _logger;

    public MemoryPlugin(IMemoryClient client, MemoryScopeIds scope, MemoryPluginOptions? options = null, ILogger<MemoryPlugin>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(scope);
        if (scope.IsEmpty)
        {
            throw new ArgumentException("The memory scope needs at least one of UserId, AgentId or RunId.", nameof(scope));
        }

        _options = options ?? new MemoryPluginOptions();
        if (_options.DefaultRecallCount < 1 || _options.MaxResults < _options.DefaultRecallCount || _options.MaxResults > 1000)
        {
            throw new ArgumentException("MemoryPluginOptions needs 1 <= DefaultRecallCount <= MaxResults <= 1000.", nameof(options));
        }

        _client = client;
        _scope = scope;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The scope every function of this plugin works in.</summary>
    public MemoryScopeIds Scope => _scope;

    [KernelFunction("remember")]
    [Description("Saves a fact to long-term memory so it can be recalled in later conversations. Call it when the user "
        + "shares something worth keeping (preferences, plans, personal details, decisions) or asks you to remember "
        + "something. Store one self-contained fact per call, written so it makes sense on its own later.")]
    public async Task<RememberOutcome> RememberAsync(
        [Description("The fact, as one self-contained sentence, e.g. \"The user is vegetarian.\" or \"The user's sister Ana lives in Porto.\"")] string fact,
        CancellationToken cancellationToken = default)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in _options.Metadata)
        {
            metadata[key] = value;
        }

        var added = await _client.AddAsync(new MemoryAddRequest
        {
            Messages = [MemoryMessage.User(fact)],
            Scope = _scope,
            Metadata = metadata.Count == 0 ? null : metadata,
            Infer = _options.Infer,
        }, cancellationToken);

        var memories = added.Results.Select(RememberedMemory.From).ToList();
        var summary = memories.Count == 0
            ? "Nothing new to remember."
            : memories.All(m => m.Event == "NONE")
                ? "Already remembered; nothing changed."
                : $"Remembered: {string.Join(" | ", memories.Where(m => m.Event != "NONE").Select(m => m.Text))}";
        return new RememberOutcome(summary, memories);
    }

    [KernelFunction("recall")]
    [Description("Searches long-term memory for facts relevant to a question or topic and returns the best matches, "
        + "most relevant first. Call it before answering anything that may depend on what you were told in earlier "
        + "conversations (preferences, names, plans, past events). An empty list means nothing relevant is remembered.")]
    public async Task<IReadOnlyList<RecalledMemory>> RecallAsync(
        [Description("What to look for, in natural language, e.g. \"food preferences\" or \"where does the user live\".")] string query,
        [Description("How many memories to return at most (default 5).")] int? maxResults = null,
        CancellationToken cancellationToken = default)
    {
        var found = await _client.SearchAsync(new MemorySearchRequest
        {
            Query = query,
            Scope = _scope,
            TopK = Clamp(maxResults ?? _options.DefaultRecallCount),
            Threshold = _options.RecallThreshold,
        }, cancellationToken);
        return [.. found.Select(RecalledMemory.From)];
    }

    [KernelFunction("forget")]
    [Description("Deletes one memory for good. Call it only when the user asks you to forget something or says a "
        + "remembered fact is wrong; find the memory's id first with recall or list.")]
    public async Task<ForgetOutcome> ForgetAsync(
        [Description("The id of the memory to delete, exactly as recall or list returned it.")] string memoryId,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(memoryId))
        {
            return new ForgetOutcome(false, "No memory id was given; call recall or list to find the id.");
        }

        MemoryEntry memory;
        try
        {
            memory = await _client.GetAsync(memoryId, cancellationToken);
        }
        catch (MemoryApiNotFoundException)
        {
            return NotFound(memoryId);
        }

        // The id came from the model: check it belongs to this conversation's scope before deleting, since the
        // same API key may hold other users' memories.
        if (!_scope.Contains(memory.UserId, memory.AgentId, memory.RunId))
        {
            _logger.LogWarning(
                "The model asked to forget memory {MemoryId}, which is outside the plugin's scope (user {UserId}, agent {AgentId}, run {RunId}); refused",
                memoryId, _scope.UserId, _scope.AgentId, _scope.RunId);
            return NotFound(memoryId);
        }

        try
        {
            await _client.DeleteAsync(memoryId, cancellationToken);
        }
        catch (MemoryApiNotFoundException)
        {
            return NotFound(memoryId);
        }

        return new ForgetOutcome(true, $"Forgotten: {memory.Text}");
    }

    [KernelFunction("list")]
    [Description("Lists what long-term memory holds about this conversation's user, newest first. Call it when the "
        + "user asks what you remember about them; to answer a specific question prefer recall.")]
    public async Task<IReadOnlyList<RecalledMemory>> ListAsync(
        [Description("How many memories to return at most (default 20).")] int? maxResults = null,
        CancellationToken cancellationToken = default)
    {
        var memories = await _client.ListAsync(_scope, Clamp(maxResults ?? 20), cancellationToken: cancellationToken);
        return [.. memories.Select(RecalledMemory.From)];
    }

    private int Clamp(int requested) => Math.Clamp(requested, 1, _options.MaxResults);

    private static ForgetOutcome NotFound(string memoryId) =>
        new(false, $"No memory with id '{memoryId}' exists in this conversation's memory; nothing was deleted.");
}
