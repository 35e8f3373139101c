namespace Memory.Server.Security;

/// <summary>
/// Where API keys come from (section "Auth"): the <see cref="Keys"/> list, a JSON <see cref="KeysFile"/>, and the
/// MEMORY_API_KEYS variable ("key1=tenantA;key2=tenantB"). All sources are merged. With no key at all the server
/// serves loopback callers only, as tenant <see cref="DefaultTenant"/>.
/// </summary>
internal sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public const string EnvironmentVariable = "MEMORY_API_KEYS";

    public const string DefaultTenant = "default";

    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>Path of a JSON file: an array of {"key", "tenant"} objects, or an object with such a "keys" array.</summary>
    public string? KeysFile { get; set; }

    /// <summary>The MEMORY_API_KEYS value; filled from configuration, not from the "Auth" section.</summary>
    public string? EnvironmentKeys { get; set; }
}
