using Memory.Client.Tests.Infrastructure;
using Memory.SemanticKernel.InProcess;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Memory.Client.Tests;

/// <summary>AddMemoryClient / AddInProcessMemoryClient in a real host: configuration binding and validation at start-up.</summary>
public sealed class ClientRegistrationTests(MemoryServer server) : IClassFixture<MemoryServer>
{
    [Fact]
    public async Task Configuration_binds_the_typed_client_and_it_talks_to_the_server()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MemoryClient:BaseAddress"] = server.Factory.BaseAddress.ToString(),
            ["MemoryClient:ApiKey"] = server.Factory.AlphaKey,
            ["MemoryClient:AuthenticationScheme"] = "Bearer",
            ["MemoryClient:Timeout"] = "00:00:30",
        });
        builder.Services.AddMemoryClient(builder.Configuration.GetSection(MemoryClientOptions.SectionName));
        using var host = builder.Build();
        await host.StartAsync();

        var client = host.Services.GetRequiredService<IMemoryClient>();
        Assert.IsType<MemoryClient>(client);
        var user = TestScopes.NewUser();
        await client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("configured from settings")], UserId = user, Infer = false });
        Assert.Equal(["configured from settings"], (await client.ListAsync(MemoryScopeIds.ForUser(user))).Select(m => m.Text));
        await host.StopAsync();
    }

    [Fact]
    public async Task The_delegate_overload_configures_the_client()
    {
        var services = new ServiceCollection();
        services.AddMemoryClient(options =>
        {
            options.BaseAddress = server.Factory.BaseAddress;
            options.ApiKey = server.Factory.AlphaKey;
        });
        await using var provider = services.BuildServiceProvider();
        var health = await provider.GetRequiredService<IMemoryClient>().GetHealthAsync();
        Assert.True(health.IsHealthy);
    }

    [Theory]
    [InlineData(null, "key-0123456789abcdef", "BaseAddress")]
    [InlineData("ftp://127.0.0.1/", "key-0123456789abcdef", "BaseAddress")]
    [InlineData("http://memory.example:8000/", null, "ApiKey is required")]
    [InlineData("http://127.0.0.1:8000/", "has white space", "ApiKey")]
    public async Task Invalid_options_stop_the_host_at_start_naming_the_key(string? baseAddress, string? apiKey, string named)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMemoryClient(options =>
        {
            options.BaseAddress = baseAddress is null ? null : new Uri(baseAddress);
            options.ApiKey = apiKey;
        });
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("MemoryClient:", failure.Message, StringComparison.Ordinal);
        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_loopback_server_without_keys_needs_no_api_key()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMemoryClient(options => options.BaseAddress = new Uri("http://127.0.0.1:8000"));
        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task An_invalid_in_process_tenant_stops_the_host_at_start()
    {
        var path = Path.Combine(Path.GetTempPath(), "memory-client-tests", Guid.NewGuid().ToString("N"), "memory.db");
        using var host = InProcessMemory.CreateBuilder(path, options => options.Tenant = "no spaces allowed").Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("InProcessMemory:Tenant", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_without_a_base_address_is_refused_at_construction()
    {
        using var http = new HttpClient();
        var refused = Assert.Throws<ArgumentException>(() => new MemoryClient(http));
        Assert.Contains("BaseAddress", refused.Message, StringComparison.Ordinal);
    }
}
