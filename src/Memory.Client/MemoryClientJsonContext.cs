using System.Text.Json;
using System.Text.Json.Serialization;
using Memory.Client.Wire;

namespace Memory.Client;

/// <summary>Source-generated JSON for every type the client sends or reads, in the server's snake_case.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MemoryAddRequest))]
[JsonSerializable(typeof(MemorySearchRequest))]
[JsonSerializable(typeof(MemoryUpdateRequest))]
[JsonSerializable(typeof(AddMemoriesResponse))]
[JsonSerializable(typeof(ResultEnvelope<MemoryEntry>))]
[JsonSerializable(typeof(List<MemoryHistoryRecord>))]
[JsonSerializable(typeof(MemoryEntry))]
[JsonSerializable(typeof(DeletedScopeAck))]
[JsonSerializable(typeof(UpdatedMemoryAck))]
[JsonSerializable(typeof(ServiceHealth))]
[JsonSerializable(typeof(BackgroundExtraction))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class MemoryClientJsonContext : JsonSerializerContext;
