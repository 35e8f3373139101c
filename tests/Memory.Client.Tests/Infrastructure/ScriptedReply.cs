namespace Memory.Client.Tests.Infrastructure;

/// <summary>
/// One canned answer of <see cref="ScriptedChatServer"/>: assistant text, or a call of the offered tool whose name
/// ends with <see cref="ToolNameSuffix"/> (so the script does not depend on how a framework joins plugin and function names).
/// </summary>
internal sealed record ScriptedReply(string? Text, string? ToolNameSuffix = null, string? ArgumentsJson = null)
{
    public static ScriptedReply Say(string text) => new(text);

    public static ScriptedReply CallTool(string toolNameSuffix, string argumentsJson) => new(null, toolNameSuffix, argumentsJson);
}
