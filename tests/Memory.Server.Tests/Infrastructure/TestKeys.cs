namespace Memory.Server.Tests.Infrastructure;

/// <summary>Two API keys for two tenants whose names are unique to this test run (the Postgres database is shared).</summary>
internal sealed class TestKeys
{
    public string AlphaKey { get; } = "alpha-" + Guid.NewGuid().ToString("N");

    public string BravoKey { get; } = "bravo-" + Guid.NewGuid().ToString("N");

    public string AlphaTenant { get; } = "alpha-" + Guid.NewGuid().ToString("N")[..12];

    public string BravoTenant { get; } = "bravo-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The keys in the MEMORY_API_KEYS format.</summary>
    public string EnvironmentValue => $"{AlphaKey}={AlphaTenant};{BravoKey}={BravoTenant}";

    public Dictionary<string, string?> Settings(Dictionary<string, string?> store)
    {
        var settings = new Dictionary<string, string?>(store)
        {
            ["Auth:Keys:0:Key"] = AlphaKey,
            ["Auth:Keys:0:Tenant"] = AlphaTenant,
            ["MEMORY_API_KEYS"] = $"{BravoKey}={BravoTenant}",
        };
        return settings;
    }
}
