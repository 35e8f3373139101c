using System.Reflection;

namespace Memory.KvCache.Metadata;

/// <summary>The schema files shared with the server's migrator (migrations/0003_kv_cache.sql and 0005_kv_tenants.sql, embedded).</summary>
internal static class KvMetadataSql
{
    public static string Schema { get; } = Read("kv_cache.sql") + "\n" + Read("kv_tenants.sql");

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from Memory.KvCache");
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
