using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Memory.Conversations.Model;

namespace Memory.Storage.Tests;

/// <summary>Builds memory records for tests.</summary>
internal static class TestMemories
{
    public static string NewTenant() => "tenant-" + Guid.NewGuid().ToString("N");

    public static MemoryRecord Create(
        string tenant,
        MemoryScope scope,
        string text,
        float[]? embedding = null,
        string? metadataJson = null,
        DateTimeOffset? createdAt = null,
        DateTimeOffset? invalidAt = null,
        string? id = null) => new()
        {
            Id = id ?? Guid.NewGuid().ToString(),
            Tenant = tenant,
            Scope = scope,
            Text = text,
            Hash = Hash(text),
            Embedding = embedding ?? TestVectors.Random(text.GetHashCode(StringComparison.Ordinal)),
            Metadata = Metadata(metadataJson),
            SourceMessageIds = ["msg-1", "msg-2"],
            Role = "user",
            CreatedAt = createdAt ?? DateTimeOffset.UtcNow,
            InvalidAt = invalidAt,
        };

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.Trim().ToLowerInvariant())));

    public static IReadOnlyDictionary<string, JsonElement> Metadata(string? json)
    {
        if (json is null)
        {
            return new Dictionary<string, JsonElement>();
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    public static MetadataFilter Filter(string json) => new(Metadata(json));
}
