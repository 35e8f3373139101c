using ILGPU;
using ILGPU.Runtime;
using Memory.Inference.Safetensors;
using Memory.Kernels;

namespace Memory.Inference.Decoding;

/// <summary>A checkpoint tensor resident on the accelerator in its checkpoint encoding.</summary>
public sealed class DeviceTensor : IDisposable
{
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense> _buffer;

    private DeviceTensor(MemoryBuffer1D<ushort, Stride1D.Dense> buffer, int type, long[] shape)
    {
        _buffer = buffer;
        Type = type;
        Shape = shape;
    }

    public int Type { get; }

    public IReadOnlyList<long> Shape { get; }

    public long Bytes => _buffer.LengthInBytes;

    public WeightView View => new(_buffer.View, Type);

    /// <summary>
    /// Copies the tensor from its memory mapping straight into accelerator memory: the only copy made of the weights
    /// on the host side is the one the accelerator's transfer performs.
    /// </summary>
    public static unsafe DeviceTensor Upload(Accelerator accelerator, SafetensorsTensor tensor, params long[] expectedShape)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.Shape.SequenceEqual(expectedShape))
        {
            throw new Models.ModelLoadException(
                $"tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", expectedShape)}]");
        }

        int type = tensor.WeightType;
        long words = tensor.ElementCount * WeightType.WordsPerElement(type);
        if (words * 2 != tensor.ByteLength)
        {
            throw new Models.ModelLoadException($"tensor '{tensor.Name}' holds {tensor.ByteLength} bytes, expected {words * 2}");
        }

        var buffer = accelerator.Allocate1D<ushort>(words);
        ushort* source = (ushort*)tensor.File.DataPointer(tensor);
        buffer.View.CopyFromCPU(ref *source, words);
        return new DeviceTensor(buffer, type, tensor.Shape);
    }

    public void Dispose() => _buffer.Dispose();
}
