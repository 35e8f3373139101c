using System.Reflection;

namespace Memory.Client.Tests;

/// <summary>README.md shows the sample that <see cref="MemoryAgentSampleTests"/> compiles and runs, not a copy that drifted.</summary>
public sealed class ReadmeSampleTests
{
    [Fact]
    public void The_readme_shows_the_compiled_sample()
    {
        var root = RepositoryRoot();
        var sample = File.ReadAllLines(Path.Combine(root, "tests", "Memory.Client.Tests", "Sample", "MemoryAgentSample.cs"));
        var begin = Array.FindIndex(sample, l => l.Trim() == "// README:begin");
        var end = Array.FindIndex(sample, l => l.Trim() == "// README:end");
        Assert.True(begin >= 0 && end > begin, "The sample has no README:begin / README:end markers.");

        var shown = string.Join('\n', sample[(begin + 1)..end].Select(l => l.Length >= 8 && l[..8].Trim().Length == 0 ? l[8..] : l));
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        Assert.Contains("## Semantic Kernel", readme, StringComparison.Ordinal);
        Assert.Contains(shown, readme, StringComparison.Ordinal);
        foreach (var line in sample.Where(l => l.StartsWith("using ", StringComparison.Ordinal)))
        {
            Assert.Contains(line, readme, StringComparison.Ordinal);
        }
    }

    private static string RepositoryRoot()
    {
        var root = typeof(ReadmeSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!;
        Assert.True(File.Exists(Path.Combine(root, "Memory.sln")), $"No Memory.sln in {root}");
        return root;
    }
}
