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
        CheckShape(tensor, expectedShape);
        int type = tensor.WeightType;
        long words = tensor.ElementCount * WeightType.WordsPerElement(type);
        var buffer = accelerator.Allocate1D<ushort>(words);
        ushort* source = (ushort*)tensor.File.DataPointer(tensor);
        buffer.View.CopyFromCPU(ref *source, words);
        return new DeviceTensor(buffer, type, tensor.Shape);
    }

    /// <summary>
    /// Several projections' weights stacked row-wise in one tensor (Q, K and V; gate and up), so one launch computes
    /// them all (see <see cref="MatMulKernel"/>'s segments). Each part is checked like <see cref="Upload"/> and copied
    /// once from its memory mapping; all must share an encoding. A null part (an absent bias among present ones) is
    /// zeros of <paramref name="rows"/>' length.
    /// </summary>
    public static unsafe DeviceTensor UploadStacked(Accelerator accelerator, IReadOnlyList<SafetensorsTensor?> parts, IReadOnlyList<long> rows, long columns)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(rows);
        var present = parts.OfType<SafetensorsTensor>().ToList();
        if (present.Count == 0 || parts.Count != rows.Count)
        {
            throw new ArgumentException("stacking needs at least one tensor and one row count per part");
        }

        int type = present[0].WeightType;
        var odd = present.FirstOrDefault(t => t.WeightType != type);
        if (odd is not null)
        {
            throw new Models.ModelLoadException($"tensors '{present[0].Name}' and '{odd.Name}' are stored in different dtypes; the decoder computes them in one launch and needs them alike");
        }

        int words = WeightType.WordsPerElement(type);
        var buffer = accelerator.Allocate1D<ushort>(rows.Sum() * columns * words);
        try
        {
            long offset = 0;
            for (int i = 0; i < parts.Count; i++)
            {
                long count = rows[i] * columns * words;
                var target = buffer.View.SubView(offset, count);
                if (parts[i] is { } tensor)
                {
                    long[] expected = columns == 1 ? [rows[i]] : [rows[i], columns];
                    CheckShape(tensor, expected);
                    ushort* source = (ushort*)tensor.File.DataPointer(tensor);
                    target.CopyFromCPU(ref *source, count);
                }
                else
                {
                    target.MemSetToZero();
                }

                offset += count;
            }

            long[] shape = columns == 1 ? [rows.Sum()] : [rows.Sum(), columns];
            return new DeviceTensor(buffer, type, shape);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public void Dispose() => _buffer.Dispose();

    private static void CheckShape(SafetensorsTensor tensor, long[] expectedShape)
    {
        if (!tensor.Shape.SequenceEqual(expectedShape))
        {
            throw new Models.ModelLoadException(
                $"tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", expectedShape)}]");
        }

        long words = tensor.ElementCount * WeightType.WordsPerElement(tensor.WeightType);
        if (words * 2 != tensor.ByteLength)
        {
            throw new Models.ModelLoadException($"tensor '{tensor.Name}' holds {tensor.ByteLength} bytes, expected {words * 2}");
        }
    }
}
