namespace Memory.Cli.Hosting;

/// <summary>Parses repeated <c>--set Section:Key=value</c> options into configuration entries.</summary>
public static class SettingOverrides
{
    public static Dictionary<string, string?> Parse(IEnumerable<string>? pairs)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs ?? [])
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new CliFailureException($"--set expects Section:Key=value, got '{pair}'.");
            }

            settings[pair[..separator].Trim()] = pair[(separator + 1)..].Trim();
        }

        return settings;
    }
}
