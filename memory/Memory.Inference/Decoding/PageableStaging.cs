namespace Memory.Inference.Decoding;

/// <summary>
/// How many <see cref="DeviceStaging{T}"/> host arrays of 64 KB or more in this process CUDA refused to page-lock, so
/// that their copies ran pageable (a few times slower). Benchmarks report it: a non-zero count explains slow copies.
/// </summary>
public static class PageableStaging
{
    private static long _count;

    public static long Count => Interlocked.Read(ref _count);

    internal static void Record() => Interlocked.Increment(ref _count);
}
