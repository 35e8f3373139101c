using System.Net;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Memory.Server.Hosting;

/// <summary>
/// Without API keys the server must not be reachable from other hosts. Non-loopback listen addresses from
/// --urls / ASPNETCORE_URLS / HTTP_PORTS are rewritten to 127.0.0.1 on the same port (and said so in the log);
/// Kestrel endpoint sections cannot be rewritten safely, so a non-loopback one stops start-up. After start the
/// bound addresses are checked once more.
/// </summary>
internal static class LoopbackBinding
{
    /// <summary>Rewrites the listen addresses of a key-less server; returns what it changed, for the start-up log.</summary>
    public static IReadOnlyList<string> Enforce(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var notes = new List<string>();
        var configuration = builder.Configuration;

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var url = endpoint["Url"];
            if (url is not null && !IsLoopbackUrl(url))
            {
                throw new InvalidOperationException(
                    $"Kestrel:Endpoints:{endpoint.Key} listens on '{url}', beyond loopback, but no API key is configured. " +
                    "Configure Auth:Keys, Auth:KeysFile or MEMORY_API_KEYS, or listen on 127.0.0.1.");
            }
        }

        var urls = configuration["urls"];
        var rewritten = new List<string>();
        if (!string.IsNullOrWhiteSpace(urls))
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var local = ToLoopback(url);
                if (local != url)
                {
                    notes.Add($"No API key is configured: refusing to listen on '{url}'; listening on '{local}' instead. Configure Auth:Keys, Auth:KeysFile or MEMORY_API_KEYS to serve other hosts.");
                }

                rewritten.Add(local);
            }
        }
        else
        {
            // HTTP_PORTS / HTTPS_PORTS (set by the .NET container images) bind every interface.
            AddPorts(configuration["http_ports"], "http", rewritten, notes);
            AddPorts(configuration["https_ports"], "https", rewritten, notes);
        }

        if (rewritten.Count > 0)
        {
            builder.WebHost.UseUrls([.. rewritten]);
        }

        return notes;
    }

    /// <summary>The bound addresses that are not loopback (checked after start).</summary>
    public static IReadOnlyList<string> NonLoopbackAddresses(IServerAddressesFeature? addresses) =>
        addresses is null ? [] : [.. addresses.Addresses.Where(a => !IsLoopbackUrl(a))];

    public static bool IsLoopbackUrl(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return false;
        }

        return address.IsNamedPipe || address.IsUnixPipe || IsLoopbackHost(address.Host);
    }

    private static string ToLoopback(string url)
    {
        if (IsLoopbackUrl(url))
        {
            return url;
        }

        var address = BindingAddress.Parse(url);
        return $"{address.Scheme}://127.0.0.1:{address.Port}{address.PathBase}";
    }

    private static void AddPorts(string? ports, string scheme, List<string> urls, List<string> notes)
    {
        if (string.IsNullOrWhiteSpace(ports))
        {
            return;
        }

        foreach (var port in ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var local = $"{scheme}://127.0.0.1:{port}";
            notes.Add($"No API key is configured: refusing to listen on {scheme} port {port} of every interface; listening on '{local}' instead. Configure Auth:Keys, Auth:KeysFile or MEMORY_API_KEYS to serve other hosts.");
            urls.Add(local);
        }
    }

    private static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var trimmed = host.Trim('[', ']');
        return IPAddress.TryParse(trimmed, out var ip) && IPAddress.IsLoopback(ip);
    }
}
