using System.Reflection;
using System.Text.Json;

namespace Memory.Inference.Tests;

/// <summary>The project's trained demo model (models/demo) and its PyTorch reference (reference.json).</summary>
internal sealed record DemoModel(string Directory, IReadOnlyList<DemoPrompt> Prompts)
{
    /// <summary>MEMORY_DEMO_MODEL, or models/demo found by walking up from the test binaries or the test project's source directory.</summary>
    public static DemoModel Load()
    {
        string directory = Locate();
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "reference.json")));
        var prompts = document.RootElement.GetProperty("prompts").EnumerateArray().Select(p => new DemoPrompt(
            p.GetProperty("text").GetString()!,
            p.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            p.GetProperty("last_logits").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            p.GetProperty("greedy32").EnumerateArray().Select(e => e.GetInt32()).ToArray())).ToList();
        return new DemoModel(directory, prompts);
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("MEMORY_DEMO_MODEL") is { Length: > 0 } configured)
        {
            return configured;
        }

        string? project = typeof(DemoModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ProjectDirectory")?.Value;
        foreach (string start in new[] { AppContext.BaseDirectory, project }.OfType<string>())
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "demo");
                if (File.Exists(Path.Combine(candidate, "reference.json")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException($"models/demo was not found above {AppContext.BaseDirectory}; set MEMORY_DEMO_MODEL");
    }
}
