using Memory.Server.Security;

namespace Memory.Server.Tests;

public sealed class ApiKeyCatalogTests
{
    [Fact]
    public void Keys_from_every_source_are_merged_and_trimmed()
    {
        var file = Path.Combine(Path.GetTempPath(), $"memory-keys-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """[{"key": "file-key-0123456789", "tenant": "gamma"}]""");
        try
        {
            var options = new AuthOptions
            {
                Keys = [new ApiKeyEntry { Key = "config-key-0123456789", Tenant = "alpha" }],
                KeysFile = file,
                EnvironmentKeys = " env-key-0123456789 = beta ; other-env-key-0123 =beta",
            };

            var entries = ApiKeyCatalog.Resolve(options);

            Assert.Equal(
                ["alpha:config-key-0123456789", "beta:env-key-0123456789", "beta:other-env-key-0123", "gamma:file-key-0123456789"],
                entries.Select(e => $"{e.Tenant}:{e.Key}").Order(StringComparer.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_unreadable_keys_file_is_an_error_naming_the_file()
    {
        var options = new AuthOptions { KeysFile = "/nonexistent/keys.json" };

        var failure = Assert.Throws<InvalidOperationException>(() => ApiKeyCatalog.Resolve(options));

        Assert.Contains("/nonexistent/keys.json", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_registry_finds_the_tenant_of_a_key_and_nothing_for_a_near_miss()
    {
        var registry = new ApiKeyRegistry([
            new ApiKeyEntry { Key = "first-key-0123456789", Tenant = "one" },
            new ApiKeyEntry { Key = "second-key-0123456789", Tenant = "two" },
        ]);

        Assert.True(registry.TryFindTenant("second-key-0123456789", out var tenant));
        Assert.Equal("two", tenant);
        Assert.False(registry.TryFindTenant("second-key-012345678", out _));
        Assert.False(registry.TryFindTenant("", out _));
        Assert.True(registry.HasKeys);
        Assert.False(new ApiKeyRegistry([]).HasKeys);
    }
}
