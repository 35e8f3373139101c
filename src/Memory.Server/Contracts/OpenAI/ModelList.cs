namespace Memory.Server.Contracts.OpenAI;

/// <summary>OpenAI's <c>GET /v1/models</c> list.</summary>
internal sealed record ModelList(string Object, IReadOnlyList<ModelItem> Data);
