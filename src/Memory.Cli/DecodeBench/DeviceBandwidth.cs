using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Memory.Cli.DecodeBench;

/// <summary>
/// The accelerator's measured memory bandwidth: a device-to-device copy of a large buffer, timed after a warm-up.
/// Reported as bytes moved (read + write) per second, the figure a bandwidth-bound decode step is compared with.
/// </summary>
internal static class DeviceBandwidth
{
    public static double Measure(Accelerator accelerator, long bytes, int repeats)
    {
        long elements = bytes / sizeof(float);
        using var source = accelerator.Allocate1D<float>(elements);
        using var target = accelerator.Allocate1D<float>(elements);
        source.MemSetToZero();
        source.View.CopyTo(target.View);
        accelerator.Synchronize();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < repeats; i++)
        {
            source.View.CopyTo(target.View);
        }

        accelerator.Synchronize();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return 2.0 * elements * sizeof(float) * repeats / seconds;
    }
}
