using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Memory.Inference.Models;

namespace Memory.Inference.Safetensors;

/// <summary>
/// A memory-mapped .safetensors file (8-byte little-endian header length, JSON header, raw little-endian data).
/// Tensor bytes are never read into managed memory: callers get a pointer into the mapping and copy from it once,
/// straight to the accelerator.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, SafetensorsTensor> _tensors = new(StringComparer.Ordinal);

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, long length)
    {
        Path = path;
        _mapping = mapping;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
        Length = length;
    }

    public string Path { get; }

    public long Length { get; }

    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors => _tensors;

    public static SafetensorsFile Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ModelLoadException($"safetensors file '{path}' not found");
        }

        if (info.Length < 8)
        {
            throw new ModelLoadException($"'{path}' is too short to be a safetensors file");
        }

        var mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var file = new SafetensorsFile(path, mapping, view, info.Length);
        try
        {
            file.ReadHeader();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Pointer to the first byte of <paramref name="tensor"/>; valid while this file is open.</summary>
    public byte* DataPointer(SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return _base + tensor.DataOffset;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    private void ReadHeader()
    {
        ulong headerLength = *(ulong*)_base;
        if (headerLength == 0 || headerLength > (ulong)(Length - 8) || headerLength > 100_000_000)
        {
            throw new ModelLoadException($"'{Path}': header length {headerLength} does not fit a file of {Length} bytes");
        }

        var header = new ReadOnlySpan<byte>(_base + 8, (int)headerLength);
        long dataStart = 8 + (long)headerLength;
        using var document = JsonDocument.Parse(header.ToArray());
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }

            var entry = property.Value;
            string dtype = entry.GetProperty("dtype").GetString() ?? "";
            long[] shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.GetProperty("data_offsets");
            long begin = offsets[0].GetInt64();
            long end = offsets[1].GetInt64();
            if (begin < 0 || end < begin || dataStart + end > Length)
            {
                throw new ModelLoadException($"'{Path}': tensor '{property.Name}' has data offsets [{begin}, {end}) outside the file");
            }

            _tensors[property.Name] = new SafetensorsTensor(property.Name, dtype, shape, dataStart + begin, end - begin, this);
        }
    }
}
