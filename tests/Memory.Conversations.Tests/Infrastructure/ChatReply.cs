using System.Text.Json;

namespace Memory.Conversations.Tests.Infrastructure;

/// <summary>One scripted answer of <see cref="ScriptedChatServer"/>.</summary>
internal sealed record ChatReply(string? Content, int Status = 200, TimeSpan Delay = default, string FinishReason = "stop")
{
    /// <summary>An answer whose content is the JSON of <paramref name="value"/>.</summary>
    public static ChatReply Json(object value) => new(JsonSerializer.Serialize(value));

    public static ChatReply Text(string content) => new(content);

    public static ChatReply Truncated(string content) => new(content, FinishReason: "length");

    public static ChatReply Error(int status) => new(null, status);

    public static ChatReply Slow(TimeSpan delay, string content) => new(content, Delay: delay);

    public static ChatReply Facts(params (string Text, string[] Sources, string Kind)[] facts) =>
        Json(new { facts = facts.Select(f => new { text = f.Text, source_message_ids = f.Sources, kind = f.Kind }) });

    public static ChatReply Decisions(params (int Fact, string Event, string? MemoryId, string? Text)[] decisions) =>
        Json(new { decisions = decisions.Select(d => new { fact = d.Fact, @event = d.Event, memory_id = d.MemoryId, text = d.Text }) });
}
