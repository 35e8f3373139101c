using Memory.Conversations.Model;

namespace Memory.Storage.Sqlite;

/// <summary>What a committed write means for the in-process vector index: upsert a row's vector, or remove the row.</summary>
internal readonly record struct SqliteIndexChange(long Row, bool Remove, MemoryScope? Scope, ReadOnlyMemory<float> Embedding);
