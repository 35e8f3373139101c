namespace Memory.Server.Contracts.OpenAI;

/// <summary>A served model; kv_model_id is the id the KV cache files its blocks under (DELETE /v1/kv?model=).</summary>
internal sealed record ModelItem(string Id, string Object, long Created, string OwnedBy, string KvModelId, int MaxContextTokens);
