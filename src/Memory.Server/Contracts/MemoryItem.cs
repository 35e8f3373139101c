using System.Text.Json;
using System.Text.Json.Serialization;
using Memory.Conversations.Model;

namespace Memory.Server.Contracts;

/// <summary>
/// A memory as Mem0 returns it (id, memory, hash, metadata, created_at, updated_at, user_id, agent_id, run_id,
/// role, score in searches) plus this service's provenance: the source message ids.
/// </summary>
internal sealed record MemoryItem
{
    public required string Id { get; init; }

    public required string Memory { get; init; }

    public required string Hash { get; init; }

    public required IReadOnlyDictionary<string, JsonElement> Metadata { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Score { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public string? UserId { get; init; }

    public string? AgentId { get; init; }

    public string? RunId { get; init; }

    public string? Role { get; init; }

    public required IReadOnlyList<string> SourceMessageIds { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? InvalidAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SupersededBy { get; init; }

    public static MemoryItem From(MemoryRecord record, double? score = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new MemoryItem
        {
            Id = record.Id,
            Memory = record.Text,
            Hash = record.Hash,
            Metadata = record.Metadata,
            Score = score,
            CreatedAt = record.CreatedAt,
            UpdatedAt = record.UpdatedAt,
            UserId = record.Scope.UserId,
            AgentId = record.Scope.AgentId,
            RunId = record.Scope.RunId,
            Role = record.Role,
            SourceMessageIds = record.SourceMessageIds,
            InvalidAt = record.InvalidAt,
            SupersededBy = record.SupersededBy,
        };
    }
}
