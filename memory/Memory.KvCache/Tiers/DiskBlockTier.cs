using System.Collections.Concurrent;
using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;
using Microsoft.Extensions.Logging;

namespace Memory.KvCache.Tiers;

/// <summary>
/// One file per block under a directory (two-character fan-out), written atomically: a uniquely named temporary file
/// is written, flushed to the device (fsync), then renamed over the final name, so a reader sees either no file or a
/// complete one. Leftover temporary files of a crashed writer are deleted on open. A byte budget evicts the least
/// recently used unpinned files. Contents are verified by the reader (checksums), not trusted because they exist.
/// </summary>
public sealed class DiskBlockTier : IKvBlobTier
{
    public const string Extension = ".kvb";
    private const string TemporaryExtension = ".tmp";

    private readonly ConcurrentDictionary<BlockKey, FileEntry> _index = new();
    private readonly PinSet _pins;
    private readonly ILogger _logger;
    private readonly Lock _evictionLock = new();
    private long _bytes;
    private long _hits;
    private long _misses;

    public DiskBlockTier(string directory, long budgetBytes, KvCodecPreset level, PinSet pins, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        Directory = Path.GetFullPath(directory);
        BudgetBytes = budgetBytes;
        Level = level ?? throw new ArgumentNullException(nameof(level));
        _pins = pins ?? throw new ArgumentNullException(nameof(pins));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        System.IO.Directory.CreateDirectory(Directory);
        Scan();
    }

    public string Name => "disk";

    public string Directory { get; }

    public long BudgetBytes { get; }

    public KvCodecPreset Level { get; }

    public string PathOf(BlockKey key) => Path.Combine(Directory, key.Hex[..2], key.Hex + Extension);

    public async Task<byte[]?> GetAsync(BlockKey key, CancellationToken cancellationToken)
    {
        try
        {
            var data = await File.ReadAllBytesAsync(PathOf(key), cancellationToken);
            Interlocked.Increment(ref _hits);
            _index.AddOrUpdate(key, _ => new FileEntry(data.Length, DateTime.UtcNow), (_, e) => e with { LastUse = DateTime.UtcNow });
            return data;
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            Interlocked.Increment(ref _misses);
            if (_index.TryRemove(key, out var gone))
            {
                Interlocked.Add(ref _bytes, -gone.Size);
            }

            return null;
        }
    }

    public Task<bool> ContainsAsync(BlockKey key, CancellationToken cancellationToken) => Task.FromResult(_index.ContainsKey(key));

    public async Task<bool> PutAsync(BlockKey key, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        string final = PathOf(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        string temporary = Path.Combine(Path.GetDirectoryName(final)!, $".{key.Hex}.{Guid.NewGuid():N}{TemporaryExtension}");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(data, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                // fsync before the rename: otherwise a power loss could leave the new name pointing at unwritten data.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, final, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        if (_index.TryGetValue(key, out var previous))
        {
            Interlocked.Add(ref _bytes, -previous.Size);
        }

        _index[key] = new FileEntry(data.Length, DateTime.UtcNow);
        Interlocked.Add(ref _bytes, data.Length);
        EvictOverBudget();
        return true;
    }

    public Task RemoveAsync(BlockKey key, CancellationToken cancellationToken)
    {
        if (_index.TryRemove(key, out var entry))
        {
            Interlocked.Add(ref _bytes, -entry.Size);
        }

        TryDelete(PathOf(key));
        return Task.CompletedTask;
    }

    public KvTierStats Stats() => new(Name, KvTierStatus.Up, Level.Name, _index.Count, Interlocked.Read(ref _bytes), BudgetBytes, Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Directory);

    private void Scan()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (name.EndsWith(TemporaryExtension, StringComparison.Ordinal))
            {
                // A writer died between create and rename: the data was never published.
                _logger.LogInformation("Deleting unfinished KV block file {File}", file);
                TryDelete(file);
                continue;
            }

            if (name.EndsWith(Extension, StringComparison.Ordinal) && BlockKey.TryParse(name[..^Extension.Length], out var key))
            {
                var info = new FileInfo(file);
                _index[key] = new FileEntry(info.Length, info.LastWriteTimeUtc);
                _bytes += info.Length;
            }
        }
    }

    private void EvictOverBudget()
    {
        if (Interlocked.Read(ref _bytes) <= BudgetBytes)
        {
            return;
        }

        lock (_evictionLock)
        {
            foreach (var (key, entry) in _index.ToArray().OrderBy(e => e.Value.LastUse))
            {
                if (Interlocked.Read(ref _bytes) <= BudgetBytes)
                {
                    break;
                }

                if (_pins.Contains(key) || !_index.TryRemove(key, out _))
                {
                    continue;
                }

                Interlocked.Add(ref _bytes, -entry.Size);
                TryDelete(PathOf(key));
            }
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException exception)
        {
            _logger.LogWarning(exception, "Could not delete {File}", path);
        }
        catch (UnauthorizedAccessException exception)
        {
            _logger.LogWarning(exception, "Could not delete {File}", path);
        }
    }

    private sealed record FileEntry(long Size, DateTime LastUse);
}
