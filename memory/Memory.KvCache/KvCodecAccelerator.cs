using Memory.Inference.Decoding;
using Memory.KvCache.Codec;

namespace Memory.KvCache;

/// <summary>
/// The accelerator the codec's quantise kernels run on, owned for the life of the process. Separate from the decoder's
/// so that encoding blocks for the lower tiers never waits on, or races with, a forward pass.
/// </summary>
public sealed class KvCodecAccelerator : IDisposable
{
    private readonly DecoderAccelerator _accelerator;

    public KvCodecAccelerator(AcceleratorPreference preference)
    {
        _accelerator = DecoderAccelerator.Create(preference);
        Codec = new KvBlockCodec(_accelerator.Accelerator);
    }

    public KvBlockCodec Codec { get; }

    public bool IsCuda => _accelerator.IsCuda;

    public void Dispose()
    {
        Codec.Dispose();
        _accelerator.Dispose();
    }
}
