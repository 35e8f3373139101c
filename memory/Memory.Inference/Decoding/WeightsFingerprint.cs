using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Memory.Inference.Safetensors;

namespace Memory.Inference.Decoding;

/// <summary>
/// SHA-256 over config.json's bytes and every tensor's name, dtype, shape and data in ordinal name order: equal
/// fingerprints mean the same computation, whatever the sharding or file names.
/// </summary>
internal static class WeightsFingerprint
{
    // Spans are int-sized; hash big tensors in slices.
    private const int Slice = 1 << 30;

    public static unsafe string Compute(string configPath, SafetensorsCheckpoint checkpoint)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(configPath));
        Span<byte> number = stackalloc byte[8];
        foreach (var (name, tensor) in checkpoint.Tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{name}\n{tensor.DType}\n{string.Join(",", tensor.Shape)}\n"));
            BinaryPrimitives.WriteInt64LittleEndian(number, tensor.ByteLength);
            hash.AppendData(number);
            byte* data = tensor.File.DataPointer(tensor);
            for (long done = 0; done < tensor.ByteLength; done += Slice)
            {
                int length = (int)Math.Min(Slice, tensor.ByteLength - done);
                hash.AppendData(new ReadOnlySpan<byte>(data + done, length));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The distinct safetensors dtypes of the checkpoint, e.g. "BF16" or "F16+F32".</summary>
    public static string DTypes(SafetensorsCheckpoint checkpoint) =>
        string.Join("+", checkpoint.Tensors.Values.Select(t => t.DType).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
