namespace Memory.Inference.Chat.Templates;

/// <summary>A parsed template: the normalised source (for line:column in runtime errors) and its statements. Immutable.</summary>
internal sealed record TemplateDocument(string Source, IReadOnlyList<Node> Body);
