using System.Text.Json;
using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>A stored memory as the server returns it from list, get, search (with <see cref="Score"/>) and update.</summary>
public sealed record MemoryEntry
{
    public required string Id { get; init; }

    /// <summary>The remembered text (the <c>memory</c> field).</summary>
    [JsonPropertyName("memory")]
    public required string Text { get; init; }

    /// <summary>SHA-256 (hex) of the normalised text; identical facts in one scope share it.</summary>
    public string? Hash { get; init; }

    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Relevance in [0, 1]; set in search results only.</summary>
    public double? Score { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public string? UserId { get; init; }

    public string? AgentId { get; init; }

    public string? RunId { get; init; }

    /// <summary>Role of the message the memory came from when it was stored verbatim.</summary>
    public string? Role { get; init; }

    /// <summary>Ids of the messages the memory was made from (caller-given or generated).</summary>
    public IReadOnlyList<string> SourceMessageIds { get; init; } = [];

    /// <summary>When a later fact contradicted this memory; it stays for history and as-of queries.</summary>
    public DateTimeOffset? InvalidAt { get; init; }

    /// <summary>Id of the memory that replaced this one.</summary>
    public string? SupersededBy { get; init; }

    [JsonIgnore]
    public MemoryScopeIds Scope => new(UserId, AgentId, RunId);
}
