using System.Globalization;

namespace Memory.Conversations.Tests.Infrastructure;

/// <summary>Configuration that points the engine's extraction at a scripted chat server.</summary>
internal static class ExtractionSettings
{
    public static Dictionary<string, string?> For(ScriptedChatServer chat, int timeoutSeconds = 10) => new()
    {
        ["Extraction:Provider"] = "OpenAI",
        ["Extraction:Endpoint"] = chat.Endpoint,
        ["Extraction:Model"] = "scripted-model",
        ["Extraction:TimeoutSeconds"] = timeoutSeconds.ToString(CultureInfo.InvariantCulture),
    };
}
