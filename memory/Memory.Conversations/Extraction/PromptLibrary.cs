using System.Collections.Concurrent;
using System.Reflection;

namespace Memory.Conversations.Extraction;

/// <summary>
/// The versioned prompt files embedded in this assembly as "prompts/NAME.VERSION.md", each with a JSON schema
/// "prompts/NAME.VERSION.schema.json" for the answer. Changing a prompt means adding a new version, so stored
/// memories can say which prompt made them.
/// </summary>
public static class PromptLibrary
{
    public const string ExtractFacts = "extract-facts";
    public const string Consolidate = "consolidate";

    private const string Prefix = "prompts/";
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static bool Has(string name, string version) =>
        Resources.Contains($"{Prefix}{name}.{version}.md") && Resources.Contains($"{Prefix}{name}.{version}.schema.json");

    public static IReadOnlyList<string> Versions(string name) =>
        [.. Resources
            .Where(r => r.StartsWith($"{Prefix}{name}.", StringComparison.Ordinal) && r.EndsWith(".md", StringComparison.Ordinal))
            .Select(r => r[($"{Prefix}{name}.").Length..^".md".Length])
            .Order(StringComparer.Ordinal)];

    /// <summary>The prompt text (markdown) of a version.</summary>
    public static string Prompt(string name, string version) => Read($"{Prefix}{name}.{version}.md");

    /// <summary>The JSON schema of the answer the prompt asks for.</summary>
    public static string Schema(string name, string version) => Read($"{Prefix}{name}.{version}.schema.json");

    private static HashSet<string> Resources { get; } = [.. typeof(PromptLibrary).Assembly.GetManifestResourceNames()];

    private static string Read(string resource) => Cache.GetOrAdd(resource, static name =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Prompt resource {name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
