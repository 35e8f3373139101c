using System.Globalization;
using System.Text.Json;
using Memory.Cli.Hosting;

namespace Memory.Cli.Locomo;

/// <summary>
/// Reads the LoCoMo file format (a JSON list of samples with <c>conversation</c> and <c>qa</c>); anything
/// missing or of the wrong shape is reported with the sample and field at fault.
/// </summary>
public static class LocomoDataset
{
    private static readonly string[] DateFormats = ["h:mm tt 'on' d MMMM, yyyy", "h:mm tt 'on' d MMM, yyyy", "h:mm tt 'on' dd MMMM, yyyy"];

    public static async Task<IReadOnlyList<LocomoConversation>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new CliFailureException($"LoCoMo data file not found: {path}");
        }

        await using var stream = File.OpenRead(path);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new CliFailureException($"{path} is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            return Parse(document.RootElement, path);
        }
    }

    public static IReadOnlyList<LocomoConversation> Parse(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new CliFailureException($"{source}: expected a JSON list of LoCoMo samples, found {root.ValueKind}.");
        }

        var conversations = new List<LocomoConversation>();
        var index = 0;
        foreach (var sample in root.EnumerateArray())
        {
            conversations.Add(ParseSample(sample, $"{source}[{index}]"));
            index++;
        }

        return conversations;
    }

    /// <summary>"1:56 pm on 8 May, 2023" as UTC (the data has no time zone).</summary>
    public static DateTimeOffset? ParseSessionDate(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DateTime.TryParseExact(text.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var parsed)
            ? new DateTimeOffset(DateTime.SpecifyKind(parsed, DateTimeKind.Utc))
            : null;
    }

    private static LocomoConversation ParseSample(JsonElement sample, string where)
    {
        var sampleId = RequiredString(sample, "sample_id", where);
        where = $"{where} ({sampleId})";
        if (!sample.TryGetProperty("conversation", out var conversation) || conversation.ValueKind != JsonValueKind.Object)
        {
            throw new CliFailureException($"{where}: 'conversation' is missing or not an object.");
        }

        var sessions = new List<LocomoSession>();
        foreach (var property in conversation.EnumerateObject())
        {
            if (!property.Name.StartsWith("session_", StringComparison.Ordinal)
                || !int.TryParse(property.Name.AsSpan("session_".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                throw new CliFailureException($"{where}: conversation.{property.Name} is not a list of turns.");
            }

            var dateText = conversation.TryGetProperty($"session_{number}_date_time", out var date) && date.ValueKind == JsonValueKind.String
                ? date.GetString()
                : null;
            var turns = property.Value.EnumerateArray()
                .Select((turn, i) => ParseTurn(turn, $"{where}: conversation.{property.Name}[{i}]"))
                .ToList();
            sessions.Add(new LocomoSession(number, dateText, ParseSessionDate(dateText), turns));
        }

        var questions = new List<LocomoQuestion>();
        if (sample.TryGetProperty("qa", out var qa))
        {
            if (qa.ValueKind != JsonValueKind.Array)
            {
                throw new CliFailureException($"{where}: 'qa' is not a list.");
            }

            var i = 0;
            foreach (var item in qa.EnumerateArray())
            {
                questions.Add(ParseQuestion(item, $"{where}: qa[{i}]"));
                i++;
            }
        }

        return new LocomoConversation(
            sampleId,
            OptionalString(conversation, "speaker_a") ?? "speaker_a",
            OptionalString(conversation, "speaker_b") ?? "speaker_b",
            sessions.OrderBy(s => s.Number).ToList(),
            questions);
    }

    private static LocomoTurn ParseTurn(JsonElement turn, string where) =>
        new(
            RequiredString(turn, "dia_id", where),
            RequiredString(turn, "speaker", where),
            OptionalString(turn, "text") ?? string.Empty,
            OptionalString(turn, "blip_caption"));

    private static LocomoQuestion ParseQuestion(JsonElement item, string where)
    {
        if (!item.TryGetProperty("category", out var category) || !category.TryGetInt32(out var categoryNumber))
        {
            throw new CliFailureException($"{where}: 'category' is missing or not an integer.");
        }

        var evidence = new List<string>();
        if (item.TryGetProperty("evidence", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in list.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                // One entry of the data holds two ids ("D8:6; D9:17"); each is its own piece of evidence.
                foreach (var id in entry.GetString()!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!evidence.Contains(id, StringComparer.Ordinal))
                    {
                        evidence.Add(id);
                    }
                }
            }
        }

        return new LocomoQuestion(OptionalString(item, "question") ?? string.Empty, categoryNumber, evidence);
    }

    private static string RequiredString(JsonElement element, string name, string where) =>
        OptionalString(element, name) is { Length: > 0 } value
            ? value
            : throw new CliFailureException($"{where}: '{name}' is missing or not a string.");

    private static string? OptionalString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
