namespace Memory.Server.Security;

/// <summary>One API key and the tenant whose memories it opens.</summary>
internal sealed class ApiKeyEntry
{
    public string Key { get; set; } = string.Empty;

    public string Tenant { get; set; } = string.Empty;
}
