using Memory.Inference.Decoding;
using Memory.Inference.Serving;
using Memory.KvCache;
using Memory.KvCache.Codec;
using Memory.KvCache.Metadata;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.Cli.KvBench;

/// <summary>
/// Time to first token through the real generation loop for one long prompt: recomputed from scratch, with its
/// prefix in host memory, and with its prefix read back from the disk tier at each given codec level by a fresh
/// store (empty host memory), as a restarted process would. Each figure is the median of several runs (the disk ones
/// after an untimed warm-up run).
/// </summary>
internal sealed class KvTtftBenchmark(LlamaDecoder decoder, KvBlockCodec codec, string workDirectory, int lowerTierBatchBlocks)
{
    public async Task<KvTtftResult> RunAsync(int[] prompt, int repeats, IReadOnlyList<string> diskLevels, bool dropPageCache, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var recompute = new List<double>();
        await using (var plain = Scheduler(null))
        {
            for (int i = 0; i < repeats; i++)
            {
                progress?.Report($"ttft recompute {i + 1}/{repeats}");
                recompute.Add((await FirstTokenAsync(plain, prompt, cancellationToken)).TimeToFirstToken.TotalMilliseconds);
            }
        }

        var host = new List<double>();
        var hostSummaries = new List<GenerationSummary>();
        int cached = 0;
        var disk = new List<KvDiskTtft>();
        foreach (var level in diskLevels)
        {
            string directory = Path.Combine(workDirectory, level);
            using (var store = Store(directory, KvCodecPreset.Parse(level)))
            await using (var scheduler = Scheduler(new KvPrefixCache(store, isolateTenants: false)))
            {
                // The first run computes and stores the blocks; then the prefix is a host-memory hit.
                await FirstTokenAsync(scheduler, prompt, cancellationToken);
                await scheduler.DrainStoresAsync(cancellationToken);
                if (host.Count == 0)
                {
                    for (int i = 0; i < repeats; i++)
                    {
                        progress?.Report($"ttft host {i + 1}/{repeats}");
                        var summary = await FirstTokenAsync(scheduler, prompt, cancellationToken);
                        cached = summary.CachedPromptTokens;
                        host.Add(summary.TimeToFirstToken.TotalMilliseconds);
                        hostSummaries.Add(summary);
                    }
                }
            }

            var times = new List<double>();
            var summaries = new List<GenerationSummary>();
            var reads = new List<KvLowerTierReads>();
            bool dropped = false;
            // One untimed run first: the lookup path's own code is otherwise timed while the JIT still runs it
            // unoptimised (three runs are far below tiered compilation's thresholds), which no long-running server sees.
            for (int i = -1; i < repeats; i++)
            {
                progress?.Report(i < 0 ? $"ttft disk {level} warm-up" : $"ttft disk {level} {i + 1}/{repeats}");
                dropped = dropPageCache && DropPageCache();
                using var restarted = Store(directory, KvCodecPreset.Parse(level));
                await using var scheduler = Scheduler(new KvPrefixCache(restarted, isolateTenants: false));
                var summary = await FirstTokenAsync(scheduler, prompt, cancellationToken);
                if (summary.CachedFrom.Any(source => source != "disk"))
                {
                    throw new InvalidOperationException($"expected every cached block from disk, got {string.Join(",", summary.CachedFrom)}");
                }

                if (i < 0)
                {
                    continue;
                }

                times.Add(summary.TimeToFirstToken.TotalMilliseconds);
                summaries.Add(summary);
                // A fresh store per run: its counters are this run's lookup alone.
                reads.Add((await restarted.StatsAsync(cancellationToken)).LowerTierReads);
            }

            long bytes = Directory.EnumerateFiles(directory, "*" + DiskBlockTier.Extension, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            double ms = Median(times);
            var lookupPhases = new KvLookupPhases(
                Math.Round(Median(reads.Select(r => r.ReadMs).ToList()), 2),
                Math.Round(Median(reads.Select(r => r.DecodeMs).ToList()), 2),
                Math.Round(Median(reads.Select(r => r.AdoptMs).ToList()), 2),
                Math.Round(Median(reads.Select(r => r.DecodeWorkMs).ToList()), 2),
                reads[0].DecodePhasesMs.Keys.ToDictionary(phase => phase, phase => Math.Round(Median(reads.Select(r => r.DecodePhasesMs[phase]).ToList()), 2)));
            disk.Add(new KvDiskTtft(level, Math.Round(ms, 2), Math.Round(Median(recompute) / ms, 2), dropped, bytes, Phases(summaries), lookupPhases));
        }

        double recomputeMs = Median(recompute);
        double hostMs = Median(host);
        return new KvTtftResult(prompt.Length, cached, repeats, Math.Round(recomputeMs, 2), Math.Round(hostMs, 2), disk, Math.Round(recomputeMs / hostMs, 2), Phases(hostSummaries));
    }

    private GenerationScheduler Scheduler(IKvPrefixCache? cache) =>
        new(decoder, decoder, cache, new GenerationSchedulerOptions(), NullLogger<GenerationScheduler>.Instance);

    private KvCacheStore Store(string directory, KvCodecPreset level)
    {
        Directory.CreateDirectory(directory);
        var pins = new PinSet();
        return new KvCacheStore(
            decoder.KvBlockSize,
            codec,
            new SqliteKvMetadataStore(Path.Combine(directory, "kv.db")),
            new HostBlockTier(8L << 30, pins),
            pins,
            new DiskBlockTier(Path.Combine(directory, "blocks"), 64L << 30, level, pins, NullLogger.Instance),
            redis: null,
            diskWriteThrough: true,
            NullLogger<KvCacheStore>.Instance)
        {
            LowerTierBatchBlocks = lowerTierBatchBlocks,
        };
    }

    private static async Task<GenerationSummary> FirstTokenAsync(GenerationScheduler scheduler, int[] prompt, CancellationToken cancellationToken)
    {
        var stream = scheduler.Submit(new GenerationRequest(prompt, SamplingOptions.Greedy, 1, new HashSet<int>(), KvBlockOrigin.Default), cancellationToken);
        await foreach (var _ in stream.Tokens.ReadAllAsync(cancellationToken))
        {
        }

        return await stream.Completion;
    }

    /// <summary>Asks Linux to drop clean page-cache pages (root only), so disk reads really read the disk.</summary>
    private static bool DropPageCache()
    {
        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "1");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static KvTtftPhases Phases(List<GenerationSummary> runs) => new(
        Math.Round(Median(runs.Select(r => r.PrefixLookup.TotalMilliseconds).ToList()), 2),
        Math.Round(Median(runs.Select(r => r.PrefixImport.TotalMilliseconds).ToList()), 2),
        Math.Round(Median(runs.Select(r => r.Prefill.TotalMilliseconds).ToList()), 2));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
