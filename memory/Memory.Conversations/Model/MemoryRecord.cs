using System.Text.Json;

namespace Memory.Conversations.Model;

/// <summary>One durable memory of a tenant, with the provenance of the messages it came from.</summary>
public sealed record MemoryRecord
{
    public required string Id { get; init; }
    public required string Tenant { get; init; }
    public required MemoryScope Scope { get; init; }
    public required string Text { get; init; }

    /// <summary>SHA-256 (hex) of the normalised text; identical facts in one scope share it.</summary>
    public required string Hash { get; init; }

    /// <summary>L2-normalised embedding of <see cref="Text"/>.</summary>
    public required ReadOnlyMemory<float> Embedding { get; init; }

    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Ids of the source messages (caller-given or generated) this memory was made from.</summary>
    public IReadOnlyList<string> SourceMessageIds { get; init; } = [];

    /// <summary>Role of the message the memory came from when it was stored verbatim (infer=false).</summary>
    public string? Role { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>When a later fact contradicted this one; the memory stays for history and as-of queries.</summary>
    public DateTimeOffset? InvalidAt { get; init; }
    public string? SupersededBy { get; init; }
}
