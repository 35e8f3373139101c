using ILGPU;
using ILGPU.Runtime.CPU;
using Memory.KvCache.Blocks;
using Memory.KvCache.Codec;
using Memory.KvCache.Tiers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.KvCache.Tests;

/// <summary>
/// Entry point of the test assembly when run as a process: `crash-writer DIR` writes large blocks to a disk tier in a
/// loop, printing each key after its write returns, until it is killed (the crash test's child process).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2 || args[0] != "crash-writer")
        {
            await Console.Error.WriteLineAsync("usage: crash-writer DIR");
            return 2;
        }

        using var context = Context.Create(builder => builder.CPU(new CPUDevice(4, 8, 1)));
        using var accelerator = context.CreateCPUAccelerator(0);
        var codec = new KvBlockCodec(accelerator);
        var tier = new DiskBlockTier(args[1], long.MaxValue, KvCodecPreset.Lossless, new PinSet(), NullLogger.Instance);
        var model = TestBlocks.Model("crash", layers: 4, kvHeads: 4, headDim: 128);
        for (int seed = 0; ; seed++)
        {
            var block = TestBlocks.Chain(model, TestBlocks.Tokens(256, seed), 256, seed)[0];
            // Random low bytes keep the file large (about 2 MB), so a kill often lands inside a write.
            var data = KvBlockFormat.Write(block, codec.Encode(new KvTensors(model.Layers, 256, model.KvDim, block.Keys, block.Values), KvCodecPreset.Lossless));
            await tier.PutAsync(block.Key, data, CancellationToken.None);
            Console.WriteLine(block.Key.Hex);
        }
    }
}
