using System.Diagnostics;
using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.KvCache.Tests;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class DiskBlockTierTests(CpuAccelerator cpu) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kv-disk-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Blocks_survive_reopening_and_round_trip_through_the_file_format()
    {
        var model = TestBlocks.Model();
        var blocks = TestBlocks.Chain(model, TestBlocks.Tokens(48, 1), 16);
        var tier = Open(long.MaxValue);
        foreach (var block in blocks)
        {
            Assert.True(await tier.PutAsync(block.Key, Encode(block), CancellationToken.None));
        }

        var reopened = Open(long.MaxValue);
        Assert.Equal(3, reopened.Stats().Blocks);
        var data = await reopened.GetAsync(blocks[1].Key, CancellationToken.None);
        var read = KvBlockFormat.Read(data!, cpu.Codec);
        Assert.True(read.Matches(blocks[0].Key, blocks[1].Tokens, model));
        Assert.Equal(blocks[1].Keys, read.Keys);
        Assert.Equal(blocks[1].Values, read.Values);
        Assert.Null(await reopened.GetAsync(BlockKey.Root, CancellationToken.None));
    }

    [Fact]
    public async Task Over_budget_the_least_recently_used_unpinned_file_goes()
    {
        var model = TestBlocks.Model();
        var blocks = TestBlocks.Chain(model, TestBlocks.Tokens(64, 2), 16);
        var encoded = blocks.Select(Encode).ToArray();
        var pins = new PinSet();
        pins.Set(blocks[0].Key, true);
        var tier = new DiskBlockTier(_directory, encoded.Take(3).Sum(e => (long)e.Length) + 10, KvCodecPreset.Lossless, pins, NullLogger.Instance);
        for (int i = 0; i < 3; i++)
        {
            await tier.PutAsync(blocks[i].Key, encoded[i], CancellationToken.None);
            await Task.Delay(20);
        }

        await tier.PutAsync(blocks[3].Key, encoded[3], CancellationToken.None);
        Assert.True(await tier.ContainsAsync(blocks[0].Key, CancellationToken.None), "pinned block evicted");
        Assert.False(await tier.ContainsAsync(blocks[1].Key, CancellationToken.None));
        Assert.False(File.Exists(tier.PathOf(blocks[1].Key)));
        Assert.True(await tier.ContainsAsync(blocks[3].Key, CancellationToken.None));
        Assert.True(tier.Stats().Bytes <= tier.BudgetBytes);
    }

    [Fact]
    public async Task A_writer_killed_mid_write_leaves_no_file_that_reads_as_a_valid_block()
    {
        string assembly = typeof(Program).Assembly.Location;
        // Every round restarts at seed 0 and rewrites the same keys, so count distinct acknowledged keys.
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        for (int round = 0; round < 3; round++)
        {
            using var child = Process.Start(new ProcessStartInfo("dotnet", [assembly, "crash-writer", _directory])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            // Let it publish a few blocks, then kill it while it is busy with the next one.
            for (int lines = 0; lines < 2 + round;)
            {
                var line = await child.StandardOutput.ReadLineAsync();
                if (line is null)
                {
                    // Only now: stderr ends when the child exits, so reading it earlier would wait forever.
                    Assert.Fail("crash writer exited early: " + await child.StandardError.ReadToEndAsync());
                }

                acknowledged.Add(line);
                lines++;
            }

            await Task.Delay(Random.Shared.Next(0, 40));
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }

        var files = Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories).ToArray();
        var published = files.Where(f => f.EndsWith(DiskBlockTier.Extension, StringComparison.Ordinal)).ToArray();
        var publishedKeys = published.Select(f => Path.GetFileNameWithoutExtension(f)).ToHashSet(StringComparer.Ordinal);
        Assert.True(acknowledged.IsSubsetOf(publishedKeys), $"{publishedKeys.Count} files for {acknowledged.Count} acknowledged writes");
        foreach (var file in published)
        {
            // Every published name holds a complete block whose key matches its name; partial data only ever sat in a temporary file.
            var block = KvBlockFormat.Read(await File.ReadAllBytesAsync(file), cpu.Codec);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), block.Key.Hex);
        }

        // Anything else is an unfinished write: never under a block's name, and removed when the tier opens.
        Assert.All(files.Except(published), file => Assert.EndsWith(".tmp", file, StringComparison.Ordinal));

        // Reopening cleans up unfinished temporary files and indexes only published blocks.
        var tier = Open(long.MaxValue);
        Assert.Empty(Directory.EnumerateFiles(_directory, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal(published.Length, tier.Stats().Blocks);
    }

    private DiskBlockTier Open(long budget) => new(_directory, budget, KvCodecPreset.Lossless, new PinSet(), NullLogger.Instance);

    private byte[] Encode(KvBlock block) =>
        KvBlockFormat.Write(block, cpu.Codec.Encode(new KvTensors(block.Model.Layers, block.Tokens.Length, block.Model.KvDim, block.Keys, block.Values), KvCodecPreset.Lossless));
}
