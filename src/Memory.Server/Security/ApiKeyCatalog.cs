using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Memory.Server.Security;

/// <summary>Reads and checks the API keys of every source named by <see cref="AuthOptions"/>.</summary>
internal static class ApiKeyCatalog
{
    /// <summary>Short keys are guessable; 16 characters is the least a key may have.</summary>
    public const int MinKeyLength = 16;

    public const int MaxTenantLength = 64;

    /// <summary>The options as configured: the "Auth" section plus MEMORY_API_KEYS.</summary>
    public static AuthOptions ReadOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        options.EnvironmentKeys = configuration[AuthOptions.EnvironmentVariable];
        return options;
    }

    /// <summary>Every key of every source, checked; throws with every problem found when any source is wrong.</summary>
    public static IReadOnlyList<ApiKeyEntry> Resolve(AuthOptions options)
    {
        var (entries, errors) = TryResolve(options);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("API key configuration is invalid: " + string.Join(" ", errors));
        }

        return entries;
    }

    public static (IReadOnlyList<ApiKeyEntry> Entries, IReadOnlyList<string> Errors) TryResolve(AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var collected = new List<(ApiKeyEntry Entry, string Source)>();

        for (var i = 0; i < options.Keys.Count; i++)
        {
            collected.Add((options.Keys[i], $"Auth:Keys:{i}"));
        }

        if (!string.IsNullOrWhiteSpace(options.KeysFile))
        {
            ReadFile(options.KeysFile, collected, errors);
        }

        if (!string.IsNullOrWhiteSpace(options.EnvironmentKeys))
        {
            ReadEnvironment(options.EnvironmentKeys, collected, errors);
        }

        var byKey = new Dictionary<string, ApiKeyEntry>(StringComparer.Ordinal);
        foreach (var (entry, source) in collected)
        {
            var key = entry.Key?.Trim() ?? string.Empty;
            var tenant = entry.Tenant?.Trim() ?? string.Empty;
            if (key.Length < MinKeyLength || key.Any(char.IsWhiteSpace))
            {
                errors.Add($"{source}: a key must have at least {MinKeyLength} characters and no white space.");
                continue;
            }

            if (!IsValidTenant(tenant))
            {
                errors.Add($"{source}: tenant '{tenant}' must be 1-{MaxTenantLength} characters of letters, digits, '.', '_' or '-'.");
                continue;
            }

            if (byKey.TryGetValue(key, out var existing))
            {
                if (existing.Tenant != tenant)
                {
                    errors.Add($"{source}: the same key is given to tenants '{existing.Tenant}' and '{tenant}'.");
                }

                continue;
            }

            byKey[key] = new ApiKeyEntry { Key = key, Tenant = tenant };
        }

        return ([.. byKey.Values], errors);
    }

    public static bool IsValidTenant(string tenant) =>
        tenant.Length is > 0 and <= MaxTenantLength
        && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static void ReadEnvironment(string value, List<(ApiKeyEntry, string)> collected, List<string> errors)
    {
        var pairs = value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < pairs.Length; i++)
        {
            var separator = pairs[i].LastIndexOf('=');
            if (separator <= 0)
            {
                errors.Add($"{AuthOptions.EnvironmentVariable} entry {i + 1}: expected 'key=tenant'.");
                continue;
            }

            collected.Add((new ApiKeyEntry { Key = pairs[i][..separator], Tenant = pairs[i][(separator + 1)..] },
                $"{AuthOptions.EnvironmentVariable} entry {i + 1}"));
        }
    }

    private static void ReadFile(string path, List<(ApiKeyEntry, string)> collected, List<string> errors)
    {
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            errors.Add($"Auth:KeysFile '{path}' cannot be read as JSON: {ex.Message}");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && TryGetProperty(root, "keys", out var keys))
            {
                root = keys;
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                errors.Add($"Auth:KeysFile '{path}': expected an array of {{\"key\", \"tenant\"}} objects or an object with a \"keys\" array.");
                return;
            }

            var index = 0;
            foreach (var item in root.EnumerateArray())
            {
                var source = $"Auth:KeysFile '{path}' entry {index++}";
                if (item.ValueKind != JsonValueKind.Object
                    || !TryGetProperty(item, "key", out var key) || key.ValueKind != JsonValueKind.String
                    || !TryGetProperty(item, "tenant", out var tenant) || tenant.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{source}: expected {{\"key\": string, \"tenant\": string}}.");
                    continue;
                }

                collected.Add((new ApiKeyEntry { Key = key.GetString()!, Tenant = tenant.GetString()! }, source));
            }
        }
    }

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
