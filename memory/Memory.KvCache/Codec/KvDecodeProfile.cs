using System.Diagnostics;

namespace Memory.KvCache.Codec;

/// <summary>
/// Time spent in each <see cref="KvDecodePhase"/>, summed over every decode call given this profile (thread-safe).
/// Calls that overlap each other (a lower-tier run decodes one batch while reading the next) each add their own time,
/// so the sum can exceed the wall time; it says where the work is, not how long a lookup waited.
/// </summary>
public sealed class KvDecodeProfile
{
    private readonly long[] _ticks = new long[Enum.GetValues<KvDecodePhase>().Length];

    /// <summary>Adds the time since <paramref name="since"/> (a <see cref="Stopwatch.GetTimestamp"/>) to <paramref name="phase"/>; returns now.</summary>
    public long Lap(KvDecodePhase phase, long since)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _ticks[(int)phase], now - since);
        return now;
    }

    /// <summary>Milliseconds of every phase, in <see cref="KvDecodePhase"/> order, by name.</summary>
    public IReadOnlyDictionary<string, double> Snapshot() =>
        Enum.GetValues<KvDecodePhase>().ToDictionary(
            phase => phase.ToString(),
            phase => Math.Round(Interlocked.Read(ref _ticks[(int)phase]) * 1000.0 / Stopwatch.Frequency, 3));
}
