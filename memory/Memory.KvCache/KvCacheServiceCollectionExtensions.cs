using Memory.Inference.Serving;
using Memory.KvCache.Codec;
using Memory.KvCache.Metadata;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Memory.KvCache;

public static class KvCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers the KV cache: <see cref="KvCacheStore"/> (host memory → disk → Redis, per the "KvCache" section,
    /// validated at start) and <see cref="IKvPrefixCache"/> over it for the generation loop. Block metadata goes to
    /// KvCache:MetadataPostgres, else Storage:PostgresConnectionString, else the SQLite file KvCache:MetadataSqlitePath,
    /// else Storage:SqlitePath. Nothing is opened until the cache is first used (or <see cref="KvCacheStore.InitializeAsync"/>).
    /// </summary>
    public static IServiceCollection AddKvCache(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<KvCacheOptions>()
            .Bind(configuration.GetSection(KvCacheOptions.SectionName))
            .Configure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.MetadataPostgres) && string.IsNullOrWhiteSpace(options.MetadataSqlitePath))
                {
                    options.MetadataPostgres = configuration["Storage:PostgresConnectionString"];
                    options.MetadataSqlitePath = configuration["Storage:SqlitePath"] is { Length: > 0 } sqlite ? sqlite : "memory.db";
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KvCacheOptions>, KvCacheOptionsValidator>();

        services.AddSingleton(provider => new KvCodecAccelerator(provider.GetRequiredService<IOptions<KvCacheOptions>>().Value.Accelerator));
        services.AddSingleton(provider => provider.GetRequiredService<KvCodecAccelerator>().Codec);
        services.AddSingleton<IKvMetadataStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<KvCacheOptions>>().Value;
            return string.IsNullOrWhiteSpace(options.MetadataPostgres)
                ? new SqliteKvMetadataStore(options.MetadataSqlitePath!)
                : new PostgresKvMetadataStore(options.MetadataPostgres);
        });
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<KvCacheOptions>>().Value;
            var loggers = provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            var pins = new PinSet();
            var disk = string.IsNullOrWhiteSpace(options.DiskPath)
                ? null
                : new DiskBlockTier(options.DiskPath, options.DiskBudgetBytes, KvCodecPreset.Parse(options.DiskLevel), pins, loggers.CreateLogger<DiskBlockTier>());
            var redis = string.IsNullOrWhiteSpace(options.Redis)
                ? null
                : new RedisBlockTier(
                    RedisBlockTier.Connect(options.Redis, options.RedisTimeout),
                    options.RedisKeyPrefix,
                    options.RedisTtl,
                    options.RedisMaxValueBytes,
                    KvCodecPreset.Parse(options.RedisLevel),
                    loggers.CreateLogger<RedisBlockTier>());
            return new KvCacheStore(
                options.BlockSize,
                provider.GetRequiredService<KvBlockCodec>(),
                provider.GetRequiredService<IKvMetadataStore>(),
                new HostBlockTier(options.HostBudgetBytes, pins),
                pins,
                disk,
                redis,
                options.DiskWriteThrough,
                loggers.CreateLogger<KvCacheStore>())
            {
                LowerTierBatchBlocks = options.LowerTierBatchBlocks,
            };
        });
        services.AddSingleton(provider => new KvPrefixCache(
            provider.GetRequiredService<KvCacheStore>(),
            provider.GetRequiredService<IOptions<KvCacheOptions>>().Value.IsolateTenants));
        services.AddSingleton<IKvPrefixCache>(provider => provider.GetRequiredService<KvPrefixCache>());
        return services;
    }
}
