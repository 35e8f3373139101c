using System.Globalization;
using System.Text;
using System.Text.Json;
using Memory.Conversations.Extraction;
using Memory.Conversations.Model;
using Microsoft.Extensions.Logging;

namespace Memory.Conversations.Consolidation;

/// <summary>
/// The second chat call: the related existing memories are shown under small integer ids (0, 1, ...), never
/// their real ids, and the model decides per fact. Its answer is then held to the rules: an id it was not shown
/// is rejected (the fact is added instead, so nothing is lost); a memory is changed by at most one decision; a
/// DELETE stands only for a forget request that the user's own message asks for (<see cref="ForgetIntent"/>),
/// otherwise it becomes an INVALIDATE; a fact left without a decision is added.
/// </summary>
public sealed class MemoryConsolidator
{
    private readonly ExtractionChat _chat;
    private readonly ExtractionMetrics _metrics;
    private readonly ILogger<MemoryConsolidator> _logger;

    public MemoryConsolidator(ExtractionChat chat, ExtractionMetrics metrics, ILogger<MemoryConsolidator> logger)
    {
        _chat = chat;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<ConsolidationResult> DecideAsync(
        IReadOnlyList<ExtractedFact> facts, IReadOnlyList<MemoryRecord> related, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(related);
        var answer = await _chat.AskAsync(PromptLibrary.Consolidate, Render(facts, related), CheckShape, cancellationToken);
        if (!answer.Succeeded)
        {
            return new ConsolidationResult([], answer.Error);
        }

        var proposed = new Dictionary<int, (MemoryEvent Event, string? MemoryId, string? Text)>();
        foreach (var item in answer.Root.GetProperty("decisions").EnumerateArray())
        {
            var number = FactNumber(item);
            if (number is null || number < 1 || number > facts.Count || proposed.ContainsKey(number.Value))
            {
                continue;
            }

            proposed[number.Value] = (ParseEvent(item), MemoryId(item), Text(item));
        }

        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var decisions = new List<FactDecision>(facts.Count);
        for (var i = 0; i < facts.Count; i++)
        {
            var fact = facts[i];
            decisions.Add(proposed.TryGetValue(i + 1, out var p)
                ? Check(fact, p.Event, p.MemoryId, p.Text, related, claimed)
                : Default(fact));
        }

        return new ConsolidationResult(decisions, null);
    }

    private FactDecision Check(
        ExtractedFact fact, MemoryEvent proposed, string? memoryId, string? text, IReadOnlyList<MemoryRecord> related, HashSet<string> claimed)
    {
        if (proposed == MemoryEvent.Add)
        {
            return Default(fact);
        }

        if (memoryId is null || !int.TryParse(memoryId, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= related.Count)
        {
            _metrics.RejectedId("memory");
            _logger.LogWarning("The consolidation answer named memory id '{MemoryId}' for {Event}, which it was not shown; the fact is added instead", memoryId, proposed);
            return Default(fact);
        }

        var target = related[index];
        if (proposed == MemoryEvent.None)
        {
            return new FactDecision(fact, MemoryEvent.None, target, target.Text);
        }

        if (!claimed.Add(target.Id))
        {
            // Two decisions changing one memory cannot both hold; the first wins and this fact stands on its own.
            return Default(fact);
        }

        switch (proposed)
        {
            case MemoryEvent.Update when !fact.IsForgetRequest:
                return string.IsNullOrWhiteSpace(text)
                    ? new FactDecision(fact, MemoryEvent.Invalidate, target, fact.Text)
                    : new FactDecision(fact, MemoryEvent.Update, target, text.Trim());
            case MemoryEvent.Delete when fact.IsForgetRequest && ForgetIntent.IsAskedIn(fact.Sources):
                return new FactDecision(fact, MemoryEvent.Delete, target, target.Text);
            case MemoryEvent.Delete when !fact.IsForgetRequest:
            case MemoryEvent.Invalidate when !fact.IsForgetRequest:
                return new FactDecision(fact, MemoryEvent.Invalidate, target, fact.Text);
            default:
                _logger.LogWarning(
                    "The consolidation answer proposed {Event} for a {Kind} without the user asking to forget; memory {MemoryId} is kept",
                    proposed, fact.IsForgetRequest ? "forget request" : "fact", target.Id);
                claimed.Remove(target.Id);
                return fact.IsForgetRequest ? new FactDecision(fact, MemoryEvent.None, null, fact.Text) : Default(fact);
        }
    }

    /// <summary>A fact is added; a forget request that found nothing to forget does nothing.</summary>
    public static FactDecision Default(ExtractedFact fact)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return fact.IsForgetRequest
            ? new FactDecision(fact, MemoryEvent.None, null, fact.Text)
            : new FactDecision(fact, MemoryEvent.Add, null, fact.Text);
    }

    private static string? CheckShape(JsonElement root)
    {
        if (!root.TryGetProperty("decisions", out var decisions) || decisions.ValueKind != JsonValueKind.Array)
        {
            return "The JSON object has no \"decisions\" array.";
        }

        var index = 0;
        foreach (var item in decisions.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || FactNumber(item) is null)
            {
                return $"decisions[{index}] is not an object with a \"fact\" number.";
            }

            if (!item.TryGetProperty("event", out var e) || e.ValueKind != JsonValueKind.String || ParseEventName(e.GetString()) is null)
            {
                return $"decisions[{index}].event must be one of ADD, UPDATE, INVALIDATE, DELETE, NONE.";
            }

            index++;
        }

        return null;
    }

    private static int? FactNumber(JsonElement item)
    {
        if (!item.TryGetProperty("fact", out var fact))
        {
            return null;
        }

        return fact.ValueKind switch
        {
            JsonValueKind.Number when fact.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(fact.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    private static MemoryEvent ParseEvent(JsonElement item) => ParseEventName(item.GetProperty("event").GetString())!.Value;

    private static MemoryEvent? ParseEventName(string? name) => name?.Trim().ToUpperInvariant() switch
    {
        "ADD" => MemoryEvent.Add,
        "UPDATE" => MemoryEvent.Update,
        "INVALIDATE" => MemoryEvent.Invalidate,
        "DELETE" => MemoryEvent.Delete,
        "NONE" => MemoryEvent.None,
        _ => null,
    };

    private static string? MemoryId(JsonElement item) =>
        item.TryGetProperty("memory_id", out var id)
            ? id.ValueKind switch
            {
                JsonValueKind.String => id.GetString()?.Trim(),
                JsonValueKind.Number => id.GetRawText(),
                _ => null,
            }
            : null;

    private static string? Text(JsonElement item) =>
        item.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;

    private static string Render(IReadOnlyList<ExtractedFact> facts, IReadOnlyList<MemoryRecord> related)
    {
        var text = new StringBuilder("Existing memories:\n");
        for (var i = 0; i < related.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i}: {related[i].Text.ReplaceLineEndings(" ")} (recorded {related[i].CreatedAt:yyyy-MM-dd})\n");
        }

        text.Append("\nNew facts:\n");
        for (var i = 0; i < facts.Count; i++)
        {
            var kind = facts[i].IsForgetRequest ? "forget" : "fact";
            text.Append(CultureInfo.InvariantCulture, $"{i + 1}. [{kind}, said {facts[i].SaidAt:yyyy-MM-dd}] {facts[i].Text.ReplaceLineEndings(" ")}\n");
        }

        return text.ToString();
    }
}
