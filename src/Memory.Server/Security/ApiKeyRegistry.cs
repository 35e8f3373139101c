using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Memory.Server.Security;

/// <summary>
/// The configured keys, held as SHA-256 digests. A presented key is hashed and compared with every digest in
/// constant time, without stopping at a match, so neither a key's content nor its position leaks through timing.
/// </summary>
internal sealed class ApiKeyRegistry
{
    private readonly (byte[] Digest, string Tenant)[] _keys;

    public ApiKeyRegistry(IOptions<AuthOptions> options)
        : this(ApiKeyCatalog.Resolve(options.Value))
    {
    }

    public ApiKeyRegistry(IReadOnlyList<ApiKeyEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _keys = [.. entries.Select(e => (Digest(e.Key), e.Tenant))];
        Tenants = [.. entries.Select(e => e.Tenant).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    public bool HasKeys => _keys.Length > 0;

    public IReadOnlyList<string> Tenants { get; }

    public bool TryFindTenant(string presentedKey, out string tenant)
    {
        ArgumentNullException.ThrowIfNull(presentedKey);
        var presented = Digest(presentedKey);
        string? found = null;
        foreach (var (digest, owner) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, presented))
            {
                found = owner;
            }
        }

        tenant = found ?? string.Empty;
        return found is not null;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
