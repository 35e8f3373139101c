using Memory.Inference.Decoding;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Memory.Inference.Serving;

public static class LocalModelServiceCollectionExtensions
{
    /// <summary>
    /// Registers the local model: "Decoder", "LocalModel" and "Generation" options (validated at start),
    /// <see cref="LocalModelHost"/>, a start-up loader, and <see cref="LocalChatClient"/> as the keyed
    /// <see cref="IChatClient"/> "local". The model is used only when Decoder:ModelDirectory is set; a registered
    /// <see cref="IKvPrefixCache"/> makes it reuse cached prefixes.
    /// </summary>
    public static IServiceCollection AddLocalModel(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DecoderOptions>().Bind(configuration.GetSection(DecoderOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LocalModelOptions>().Bind(configuration.GetSection(LocalModelOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GenerationSchedulerOptions>().Bind(configuration.GetSection(GenerationSchedulerOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(provider => new LocalModelHost(
            provider.GetRequiredService<IOptions<DecoderOptions>>(),
            provider.GetRequiredService<IOptions<LocalModelOptions>>(),
            provider.GetRequiredService<IOptions<GenerationSchedulerOptions>>(),
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            provider.GetService<IKvPrefixCache>()));
        services.AddHostedService<LocalModelLoader>();
        services.AddKeyedSingleton<IChatClient>(LocalChatClient.ServiceKey, (provider, _) =>
        {
            var host = provider.GetRequiredService<LocalModelHost>();
            return new LocalChatClient(host.GetAsync);
        });
        return services;
    }
}
