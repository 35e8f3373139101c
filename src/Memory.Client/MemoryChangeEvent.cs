using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>What happened to one memory; the names are Mem0's (plus INVALIDATE) and travel as upper-case strings.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MemoryChangeEvent>))]
public enum MemoryChangeEvent
{
    [JsonStringEnumMemberName("ADD")]
    Add,

    [JsonStringEnumMemberName("UPDATE")]
    Update,

    [JsonStringEnumMemberName("DELETE")]
    Delete,

    [JsonStringEnumMemberName("NONE")]
    None,

    /// <summary>A later fact contradicted the memory; it stays (with invalid_at, superseded_by) for history and as-of queries.</summary>
    [JsonStringEnumMemberName("INVALIDATE")]
    Invalidate,
}
