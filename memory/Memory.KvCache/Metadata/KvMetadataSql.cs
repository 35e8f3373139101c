using System.Reflection;

namespace Memory.KvCache.Metadata;

/// <summary>The schema file shared with the server's migrator (migrations/0003_kv_cache.sql, embedded).</summary>
internal static class KvMetadataSql
{
    public static string Schema { get; } = Read();

    private static string Read()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("kv_cache.sql")
            ?? throw new InvalidOperationException("embedded resource kv_cache.sql is missing from Memory.KvCache");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static void RequireScope(string? modelId, string? conversationId)
    {
        if (string.IsNullOrWhiteSpace(modelId) && string.IsNullOrWhiteSpace(conversationId))
        {
            throw new ArgumentException("deleting KV blocks needs a model, a conversation, or both");
        }
    }
}
