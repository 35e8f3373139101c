using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Memory.Inference.Decoding;

/// <summary>
/// A device buffer and a page-locked host array of one element type, grown on demand and never shrunk, so a batch
/// costs one DMA copy each way instead of an allocation, a free and a pageable copy per block (the decoder's KV block
/// import/export and the KV codec's device encoder and decoder stage through it). Not thread-safe. Dispose it on a thread
/// the accelerator is bound to: a CUDA page lock is released in the context current on the disposing thread.
/// <para>
/// The host side is a pinned GC array registered with the driver (cuMemHostRegister), and only <see cref="Dispose"/>
/// unregisters it. A staging dropped without it must not hand that array back to the GC: ILGPU's page-lock finalizer runs
/// on the finalizer thread, where no CUDA context is current, so the range may stay registered while the pinned heap
/// gives the same addresses to the next staging array, whose registration then fails
/// (CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED), or is undone under it by the late finalizer. So the finalizer of an
/// undisposed staging keeps its host array alive for the rest of the process: a bounded leak instead of aliasing.
/// </para>
/// </summary>
public sealed class DeviceStaging<T>(Accelerator accelerator) : IDisposable
    where T : unmanaged
{
    /// <summary>
    /// Elements after the usable part of every host array, never registered: the driver locks whole pages, so without a
    /// page of slack two staging arrays side by side on the pinned heap would share one and the second registration
    /// would fail (its copies then pageable, a few times slower).
    /// </summary>
    private static readonly int PadElements = (PageBytes + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>();

    private MemoryBuffer1D<T, Stride1D.Dense>? _device;
    private T[] _host = [];
    private long _capacity;
    private PageLockScope<T>? _lock;

    /// <summary>The host side, at least <paramref name="length"/> long (page-locked from 64 KB, where CUDA accepts it).</summary>
    public T[] Host(long length)
    {
        if (_capacity < length)
        {
            _lock?.Dispose();
            _lock = null;
            _capacity = Grow(_capacity, length);
            _host = GC.AllocateUninitializedArray<T>(checked((int)(_capacity + PadElements)), pinned: true);
            _lock = PageLock(_host, _capacity);
        }

        return _host;
    }

    /// <summary>The device side, the first <paramref name="length"/> elements of it.</summary>
    public ArrayView<T> Device(long length)
    {
        if (_device is null || _device.Length < length)
        {
            _device?.Dispose();
            _device = accelerator.Allocate1D<T>(Grow(_device?.Length ?? 0, Math.Max(1, length)));
        }

        return ((ArrayView<T>)_device.View).SubView(0, length);
    }

    /// <summary>
    /// Host → device of the first <paramref name="length"/> elements (queued on the default stream); at most what
    /// <see cref="Host"/> was last asked for, not the array's length, which includes the slack.
    /// </summary>
    public ArrayView<T> Upload(long length)
    {
        // Past the requested length lies the unregistered page of slack: a copy reaching into it fails in the driver.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _capacity);
        var view = Device(length);
        if (length > 0)
        {
            view.CopyFromCPUUnsafeAsync(accelerator.DefaultStream, ref _host[0], length);
        }

        return view;
    }

    /// <summary>Device view → the host side (waits for it).</summary>
    public T[] Download(ArrayView<T> source)
    {
        var host = Host(source.Length);
        if (source.Length > 0)
        {
            source.CopyToCPUUnsafeAsync(accelerator.DefaultStream, ref host[0], source.Length);
        }

        accelerator.DefaultStream.Synchronize();
        return host;
    }

    public void Dispose()
    {
        _device?.Dispose();
        _lock?.Dispose();
        _device = null;
        _lock = null;
        _host = [];
        _capacity = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Never disposed: root the still-registered host array for good (see the class remarks), free nothing else.</summary>
    ~DeviceStaging()
    {
        if (_lock is not null)
        {
            GCHandle.Alloc(_host);
        }
    }

    /// <summary>Arrays below this stay pageable: their copies gain nothing measurable from page-locking.</summary>
    private const long PageLockMinimumBytes = 64 * 1024;

    private const int PageBytes = 4096;

    private PageLockScope<T>? PageLock(T[] host, long length)
    {
        if (length * Unsafe.SizeOf<T>() < PageLockMinimumBytes)
        {
            return null;
        }

        try
        {
            // The array is pinned (pinned object heap) for its lifetime, so its address is stable.
            return accelerator.CreatePageLockFromPinned<T>(Marshal.UnsafeAddrOfPinnedArrayElement(host, 0), length);
        }
        catch (CudaException e) when (AlreadyRegistered(e))
        {
            // Registration pins whole pages: an array sharing a page with another registered range (before the page of
            // slack, two staging arrays side by side on the pinned heap; seen on an H200 as a failed KV decode) is
            // refused. Its copies then stay pageable: correct, only slower, and counted.
            PageableStaging.Record();
            return null;
        }
    }

    // CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED; ILGPU reports the error by name and CUDA's text.
    private static bool AlreadyRegistered(CudaException e) =>
        (e.Error?.Contains(nameof(CudaError.CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED), StringComparison.Ordinal) ?? false)
        || e.Message.Contains("already mapped", StringComparison.Ordinal);

    /// <summary>Doubling, so a slowly growing batch size reallocates a logarithmic number of times.</summary>
    private static long Grow(long current, long needed) => Math.Max(needed, Math.Min(2 * current, int.MaxValue));
}
