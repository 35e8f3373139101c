using System.Globalization;
using System.Text;
using System.Text.Json;
using Memory.Conversations.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Memory.Conversations.Extraction;

/// <summary>
/// The first chat call: shows the model the new messages (labelled, dated) with the scope's most recent memories
/// as context, and reads back facts with the labels of the messages they came from. Labels the model invents are
/// dropped (a fact citing none of the real ones is attributed to all the new messages); relative dates left in a
/// fact are grounded against its messages' date.
/// </summary>
public sealed class FactExtractor
{
    private readonly ExtractionChat _chat;
    private readonly ExtractionOptions _options;
    private readonly ExtractionMetrics _metrics;
    private readonly ILogger<FactExtractor> _logger;

    public FactExtractor(ExtractionChat chat, IOptions<ExtractionOptions> options, ExtractionMetrics metrics, ILogger<FactExtractor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _chat = chat;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<FactExtraction> ExtractAsync(
        IReadOnlyList<LabelledMessage> messages, IReadOnlyList<MemoryRecord> known, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(known);
        var answer = await _chat.AskAsync(PromptLibrary.ExtractFacts, Render(messages, known), CheckShape, cancellationToken);
        if (!answer.Succeeded)
        {
            return new FactExtraction([], answer.Error);
        }

        var byLabel = messages.ToDictionary(m => m.Label, StringComparer.OrdinalIgnoreCase);
        var facts = new List<ExtractedFact>();
        foreach (var item in answer.Root.GetProperty("facts").EnumerateArray())
        {
            var (text, labels, kind) = Read(item);
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var sources = new List<LabelledMessage>();
            foreach (var label in labels)
            {
                if (byLabel.TryGetValue(label.Trim().Trim('[', ']'), out var message))
                {
                    sources.Add(message);
                }
                else
                {
                    _metrics.RejectedId("message");
                    _logger.LogWarning("The extraction answer cited message '{Label}', which it was not shown; ignored", label);
                }
            }

            if (sources.Count == 0)
            {
                sources.AddRange(messages);
            }

            var saidAt = sources.Max(s => s.SaidAt);
            var (grounded, dates) = RelativeDates.Ground(text.Trim(), DateOnly.FromDateTime(saidAt.DateTime));
            facts.Add(new ExtractedFact(grounded, sources, string.Equals(kind, "forget", StringComparison.OrdinalIgnoreCase), saidAt, dates));
            if (facts.Count == _options.MaxFacts)
            {
                _logger.LogWarning("The extraction answer held more than Extraction:MaxFacts ({Max}) facts; the rest were cut", _options.MaxFacts);
                break;
            }
        }

        return new FactExtraction(facts, null);
    }

    /// <summary>Accepts {"facts": [...]} whose items are objects with a "text" (or "fact") string, or plain strings (Mem0's shape).</summary>
    private static string? CheckShape(JsonElement root)
    {
        if (!root.TryGetProperty("facts", out var facts) || facts.ValueKind != JsonValueKind.Array)
        {
            return "The JSON object has no \"facts\" array.";
        }

        var index = 0;
        foreach (var item in facts.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                index++;
                continue;
            }

            if (item.ValueKind != JsonValueKind.Object
                || !(item.TryGetProperty("text", out var text) || item.TryGetProperty("fact", out text))
                || text.ValueKind != JsonValueKind.String)
            {
                return $"facts[{index}] is not an object with a \"text\" string.";
            }

            index++;
        }

        return null;
    }

    private static (string? Text, IReadOnlyList<string> Labels, string? Kind) Read(JsonElement item)
    {
        if (item.ValueKind == JsonValueKind.String)
        {
            return (item.GetString(), [], "fact");
        }

        var text = item.TryGetProperty("text", out var t) ? t.GetString() : item.GetProperty("fact").GetString();
        var labels = new List<string>();
        if (item.TryGetProperty("source_message_ids", out var ids))
        {
            if (ids.ValueKind == JsonValueKind.Array)
            {
                labels.AddRange(ids.EnumerateArray().Select(id => id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText()));
            }
            else if (ids.ValueKind == JsonValueKind.String)
            {
                labels.Add(ids.GetString()!);
            }
        }

        var kind = item.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : "fact";
        return (text, labels, kind);
    }

    private static string Render(IReadOnlyList<LabelledMessage> messages, IReadOnlyList<MemoryRecord> known)
    {
        var text = new StringBuilder();
        var latest = messages.Max(m => m.SaidAt);
        text.Append(CultureInfo.InvariantCulture, $"The latest message was sent on {Day(latest)}.\n\n");
        text.Append("Already known (context only, do not repeat):\n");
        if (known.Count == 0)
        {
            text.Append("(nothing yet)\n");
        }

        foreach (var memory in known.OrderBy(m => m.CreatedAt))
        {
            text.Append(CultureInfo.InvariantCulture, $"- [{memory.CreatedAt:yyyy-MM-dd}] {OneLine(memory.Text)}\n");
        }

        text.Append("\nNew messages (oldest first):\n");
        foreach (var message in messages)
        {
            text.Append(CultureInfo.InvariantCulture, $"[{message.Label}] {Day(message.SaidAt)} {message.Message.Role.Trim()}: {message.Message.Content}\n");
        }

        return text.ToString();
    }

    private static string Day(DateTimeOffset time) =>
        string.Create(CultureInfo.InvariantCulture, $"{time:yyyy-MM-dd} ({time.DayOfWeek})");

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
