using System.Text.Json;

namespace Memory.Conversations.Storage;

/// <summary>The new content of a memory; a null <see cref="Metadata"/> keeps the stored metadata.</summary>
public sealed record MemoryUpdate(
    string Text,
    string Hash,
    ReadOnlyMemory<float> Embedding,
    IReadOnlyDictionary<string, JsonElement>? Metadata = null,
    IReadOnlyList<string>? SourceMessageIds = null,
    DateTimeOffset? InvalidAt = null,
    string? SupersededBy = null);
