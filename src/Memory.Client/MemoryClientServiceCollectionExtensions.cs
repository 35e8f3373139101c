using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Memory.Client;

public static class MemoryClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMemoryClient"/> as a typed <see cref="HttpClient"/> client configured by
    /// <paramref name="configure"/>; the options are validated when the host starts. Returns the HttpClient
    /// builder for handlers and resilience policies.
    /// </summary>
    public static IHttpClientBuilder AddMemoryClient(this IServiceCollection services, Action<MemoryClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MemoryClientOptions>().Configure(configure).ValidateOnStart();
        return AddTypedClient(services);
    }

    /// <summary>
    /// Registers <see cref="IMemoryClient"/> configured from <paramref name="section"/> (usually
    /// <c>configuration.GetSection("MemoryClient")</c>: BaseAddress, ApiKey, AuthenticationScheme, Timeout).
    /// </summary>
    public static IHttpClientBuilder AddMemoryClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<MemoryClientOptions>().Bind(section).ValidateOnStart();
        return AddTypedClient(services);
    }

    private static IHttpClientBuilder AddTypedClient(IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<MemoryClientOptions>, MemoryClientOptionsValidator>();
        return services.AddHttpClient<IMemoryClient, MemoryClient>((provider, http) =>
            provider.GetRequiredService<IOptions<MemoryClientOptions>>().Value.ApplyTo(http));
    }
}
