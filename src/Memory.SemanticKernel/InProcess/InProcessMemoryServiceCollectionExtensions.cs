using Memory.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Memory.SemanticKernel.InProcess;

public static class InProcessMemoryServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMemoryClient"/> as the in-process client for one tenant (options validated at start-up).
    /// The engine must be registered too: <c>services.AddMemoryStorage(configuration)</c> (Memory.Storage) and
    /// <c>services.AddConversationMemory(configuration)</c> (Memory.Conversations).
    /// </summary>
    public static IServiceCollection AddInProcessMemoryClient(this IServiceCollection services, Action<InProcessMemoryClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<InProcessMemoryClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InProcessMemoryClientOptions>, InProcessMemoryClientOptionsValidator>());
        services.AddSingleton<InProcessMemoryClient>();
        services.AddSingleton<IMemoryClient>(provider => provider.GetRequiredService<InProcessMemoryClient>());
        return services;
    }
}
