using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Memory.KvCache.Tiers;

/// <summary>
/// Blocks in Redis as binary string values under "{prefix}{key hex}" with a TTL, shared by every server on the same
/// Redis. Values over the size limit are not stored. Redis being unreachable is not an error for the cache: reads miss,
/// writes are skipped, and <see cref="Stats"/> reports the tier as down with the last failure, until the multiplexer
/// reconnects on its own.
/// </summary>
public sealed class RedisBlockTier : IKvBlobTier, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly TimeSpan _ttl;
    private readonly long _maxValueBytes;
    private readonly ILogger _logger;
    private long _hits;
    private long _misses;
    private long _written;
    private long _writtenBytes;
    private long _refused;
    private string? _lastError;

    public RedisBlockTier(IConnectionMultiplexer redis, string prefix, TimeSpan ttl, long maxValueBytes, KvCodecPreset level, ILogger logger)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _prefix = prefix ?? throw new ArgumentNullException(nameof(prefix));
        _ttl = ttl;
        _maxValueBytes = maxValueBytes;
        Level = level ?? throw new ArgumentNullException(nameof(level));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public string Name => "redis";

    public KvCodecPreset Level { get; }

    public bool IsUp => _redis.IsConnected;

    /// <summary>Connects without failing when Redis is down (the multiplexer keeps retrying in the background).</summary>
    public static IConnectionMultiplexer Connect(string configuration, TimeSpan timeout)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = (int)timeout.TotalMilliseconds;
        options.SyncTimeout = (int)timeout.TotalMilliseconds;
        options.AsyncTimeout = (int)timeout.TotalMilliseconds;
        options.ConnectRetry = 1;
        return ConnectionMultiplexer.Connect(options);
    }

    public async Task<byte[]?> GetAsync(BlockKey key, CancellationToken cancellationToken)
    {
        if (!IsUp)
        {
            Interlocked.Increment(ref _misses);
            return null;
        }

        try
        {
            var value = await _redis.GetDatabase().StringGetAsync(_prefix + key.Hex).WaitAsync(cancellationToken);
            if (value.IsNull)
            {
                Interlocked.Increment(ref _misses);
                return null;
            }

            Interlocked.Increment(ref _hits);
            return (byte[]?)value;
        }
        catch (Exception exception) when (IsOutage(exception))
        {
            Failed(exception);
            Interlocked.Increment(ref _misses);
            return null;
        }
    }

    public async Task<bool> PutAsync(BlockKey key, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length > _maxValueBytes)
        {
            Interlocked.Increment(ref _refused);
            return false;
        }

        if (!IsUp)
        {
            return false;
        }

        try
        {
            await _redis.GetDatabase().StringSetAsync(_prefix + key.Hex, data, _ttl).WaitAsync(cancellationToken);
            Interlocked.Increment(ref _written);
            Interlocked.Add(ref _writtenBytes, data.Length);
            return true;
        }
        catch (Exception exception) when (IsOutage(exception))
        {
            Failed(exception);
            return false;
        }
    }

    public async Task<bool> ContainsAsync(BlockKey key, CancellationToken cancellationToken)
    {
        if (!IsUp)
        {
            return false;
        }

        try
        {
            return await _redis.GetDatabase().KeyExistsAsync(_prefix + key.Hex).WaitAsync(cancellationToken);
        }
        catch (Exception exception) when (IsOutage(exception))
        {
            Failed(exception);
            return false;
        }
    }

    public async Task RemoveAsync(BlockKey key, CancellationToken cancellationToken)
    {
        if (!IsUp)
        {
            return;
        }

        try
        {
            await _redis.GetDatabase().KeyDeleteAsync(_prefix + key.Hex).WaitAsync(cancellationToken);
        }
        catch (Exception exception) when (IsOutage(exception))
        {
            Failed(exception);
        }
    }

    /// <summary>
    /// Blocks and bytes are those this instance wrote (Redis is shared and expires values itself, so a global count
    /// would need a scan); hits and misses are this instance's lookups.
    /// </summary>
    public KvTierStats Stats() => new(
        Name,
        IsUp ? KvTierStatus.Up : KvTierStatus.Down,
        Level.Name,
        Interlocked.Read(ref _written),
        Interlocked.Read(ref _writtenBytes),
        0,
        Interlocked.Read(ref _hits),
        Interlocked.Read(ref _misses),
        IsUp ? $"ttl {_ttl}, value limit {_maxValueBytes} bytes, {Interlocked.Read(ref _refused)} larger values skipped" : $"unreachable: {_lastError ?? "not connected"}");

    public void Dispose() => _redis.Dispose();

    private static bool IsOutage(Exception exception) => exception is RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException;

    private void Failed(Exception exception)
    {
        _lastError = exception.Message;
        _logger.LogWarning("Redis KV tier unavailable: {Error}", exception.Message);
    }
}
