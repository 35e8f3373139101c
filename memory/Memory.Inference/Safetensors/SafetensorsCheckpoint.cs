using System.Text.Json;
using Memory.Inference.Models;

namespace Memory.Inference.Safetensors;

/// <summary>
/// The tensors of a Hugging Face model directory: model.safetensors, or the shards listed in
/// model.safetensors.index.json, or every *.safetensors file when neither exists.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files = [];
    private readonly Dictionary<string, SafetensorsTensor> _tensors = new(StringComparer.Ordinal);

    private SafetensorsCheckpoint(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors => _tensors;

    public static SafetensorsCheckpoint Open(string directory)
    {
        var checkpoint = new SafetensorsCheckpoint(directory);
        try
        {
            foreach (var path in ShardPaths(directory))
            {
                var file = SafetensorsFile.Open(path);
                checkpoint._files.Add(file);
                foreach (var (name, tensor) in file.Tensors)
                {
                    checkpoint._tensors[name] = tensor;
                }
            }

            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The tensor called <paramref name="name"/>, or an error naming it and the directory.</summary>
    public SafetensorsTensor Require(string name) =>
        _tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new ModelLoadException($"tensor '{name}' is missing from the checkpoint in '{Directory}'");

    public SafetensorsTensor? Find(string name) => _tensors.GetValueOrDefault(name);

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }

        _files.Clear();
    }

    private static List<string> ShardPaths(string directory)
    {
        string index = Path.Combine(directory, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(index));
            if (!document.RootElement.TryGetProperty("weight_map", out var map))
            {
                throw new ModelLoadException($"'{index}' has no weight_map");
            }

            return map.EnumerateObject()
                .Select(p => p.Value.GetString() ?? throw new ModelLoadException($"'{index}': tensor '{p.Name}' maps to no file"))
                .Distinct(StringComparer.Ordinal)
                .Select(file => Path.Combine(directory, file))
                .ToList();
        }

        string single = Path.Combine(directory, "model.safetensors");
        if (File.Exists(single))
        {
            return [single];
        }

        var any = System.IO.Directory.Exists(directory)
            ? System.IO.Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToList()
            : [];
        return any.Count > 0 ? any : throw new ModelLoadException($"no .safetensors files in '{directory}'");
    }
}
