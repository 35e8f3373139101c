using System.Net.Http.Headers;

namespace Memory.Client;

/// <summary>Where the Memory server is and how to authenticate ("MemoryClient" configuration section).</summary>
public sealed class MemoryClientOptions
{
    public const string SectionName = "MemoryClient";

    /// <summary>The server's root address, e.g. <c>http://127.0.0.1:8000/</c>; a path prefix is kept.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key; may be left out only for a loopback server that has no keys configured.</summary>
    public string? ApiKey { get; set; }

    /// <summary>"Token" (what Mem0 clients send, the default) or "Bearer".</summary>
    public string AuthenticationScheme { get; set; } = "Token";

    /// <summary>Per-request timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Sets base address (with a trailing slash, so relative paths keep any prefix), key header and timeout.</summary>
    public void ApplyTo(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        var address = BaseAddress ?? throw new InvalidOperationException("MemoryClient:BaseAddress is not set.");
        httpClient.BaseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
        httpClient.Timeout = Timeout;
        httpClient.DefaultRequestHeaders.Authorization = string.IsNullOrEmpty(ApiKey)
            ? null
            : new AuthenticationHeaderValue(AuthenticationScheme, ApiKey);
    }
}
