using Memory.Kernels;

namespace Memory.Inference.Safetensors;

/// <summary>One tensor of a safetensors file: where its bytes lie in the memory-mapped file and how to read them.</summary>
/// <param name="DataOffset">Byte offset from the start of the file.</param>
public sealed record SafetensorsTensor(string Name, string DType, long[] Shape, long DataOffset, long ByteLength, SafetensorsFile File)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The <see cref="WeightType"/> of the elements, or an error naming the tensor for any other dtype.</summary>
    public int WeightType => DType switch
    {
        "BF16" => Kernels.WeightType.BFloat16,
        "F16" => Kernels.WeightType.Float16,
        "F32" => Kernels.WeightType.Float32,
        _ => throw new Models.ModelLoadException($"tensor '{Name}' has dtype {DType}; supported: BF16, F16, F32"),
    };
}
