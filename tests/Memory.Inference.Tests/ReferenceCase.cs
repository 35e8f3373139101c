using System.Runtime.InteropServices;
using System.Text.Json;

namespace Memory.Inference.Tests;

/// <summary>A model directory written by tools/make_reference.py and its PyTorch reference outputs.</summary>
public sealed class ReferenceCase
{
    private ReferenceCase(string directory, JsonElement root)
    {
        Directory = directory;
        VocabSize = root.GetProperty("vocab_size").GetInt32();
        InvFreq = root.GetProperty("inv_freq").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        MaxAbsNativeVsExact = root.GetProperty("max_abs_native_vs_exact").GetDouble();
        Prompts = root.GetProperty("prompts").EnumerateArray().Select(p => new ReferencePrompt(
            p.GetProperty("text").GetString()!,
            p.GetProperty("text_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            p.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(p.GetProperty("exact_logits").GetString()!)).ToArray(),
            p.TryGetProperty("exact_logits_first_position", out var first) ? first.GetInt32() : 0,
            p.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray())).ToArray();
    }

    public string Directory { get; }

    public string Name => Path.GetFileName(Directory);

    public int VocabSize { get; }

    public double[] InvFreq { get; }

    /// <summary>How far PyTorch's own native 16-bit run is from the float64 reference (informational).</summary>
    public double MaxAbsNativeVsExact { get; }

    public IReadOnlyList<ReferencePrompt> Prompts { get; }

    /// <summary>The committed tiny models (tests/Memory.Inference.Tests/Reference), or MEMORY_REFERENCE_DIR's when set.</summary>
    public static IEnumerable<string> Names()
    {
        string root = Root();
        return System.IO.Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "reference.json"))).Select(Path.GetFileName).Order()!;
    }

    public static ReferenceCase Load(string name)
    {
        string directory = Path.Combine(Root(), name);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "reference.json")));
        return new ReferenceCase(directory, document.RootElement.Clone());
    }

    private static string Root() =>
        Environment.GetEnvironmentVariable("MEMORY_REFERENCE_DIR") is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(AppContext.BaseDirectory, "Reference");
}
