using System.Buffers;
using System.Runtime.InteropServices;

namespace Memory.KvCache;

/// <summary>
/// fp16 bit patterns held as <see cref="ushort"/> (how the store keeps them) seen as <see cref="Half"/> memory (how the
/// decoder takes them), without copying: a 16K-token prefix of a 0.5B model is ~190 MB that would otherwise be copied
/// once more on the way to the device.
/// </summary>
internal sealed class HalfBitsMemory(ushort[] bits) : MemoryManager<Half>
{
    public override Span<Half> GetSpan() => MemoryMarshal.Cast<ushort, Half>(bits.AsSpan());

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        var handle = GCHandle.Alloc(bits, GCHandleType.Pinned);
        unsafe
        {
            return new MemoryHandle((Half*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
        }
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
