using System.Text.Json.Serialization;

namespace Memory.Client;

/// <summary>What an add did to one memory; the names are Mem0's and travel as upper-case strings.</summary>
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
}
