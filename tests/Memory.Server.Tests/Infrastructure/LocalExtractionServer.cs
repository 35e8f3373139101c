namespace Memory.Server.Tests.Infrastructure;

/// <summary>The local-model server with infer=true extracting through the local model (Extraction:Provider = Local).</summary>
public sealed class LocalExtractionServer : LocalModelServer
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Extraction:Provider"] = "Local";
        settings["Extraction:MaxOutputTokens"] = "8";
    }
}
