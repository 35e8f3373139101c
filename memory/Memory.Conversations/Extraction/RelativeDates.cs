using System.Globalization;
using System.Text.RegularExpressions;

namespace Memory.Conversations.Extraction;

/// <summary>
/// Temporal grounding: finds English relative time phrases ("yesterday", "last week", "3 days ago", "last
/// Friday", "next month") and rewrites them as the absolute dates they meant on the day the message was sent,
/// so "I went hiking yesterday" said on 2023-05-08 is remembered as "went hiking on 2023-05-07". The prompt asks
/// the model to do the same; this catches what it leaves behind, deterministically.
/// </summary>
public static partial class RelativeDates
{
    private static readonly string[] WeekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    /// <summary>The text with each relative phrase replaced, and what each phrase was resolved to.</summary>
    public static (string Text, IReadOnlyList<DateReference> References) Ground(string text, DateOnly said)
    {
        ArgumentNullException.ThrowIfNull(text);
        var references = new List<DateReference>();
        var grounded = Phrase().Replace(text, match =>
        {
            if (Resolve(match, said) is not { } reference)
            {
                return match.Value;
            }

            references.Add(reference with { Phrase = match.Value });
            return Render(reference, PrecededByPreposition(text, match.Index));
        });
        return (grounded, references);
    }

    private static DateReference? Resolve(Match match, DateOnly said)
    {
        var phrase = match.Value.ToLowerInvariant();
        if (match.Groups["ago"].Success)
        {
            var amount = Number(match.Groups["n"].Value);
            return match.Groups["unit"].Value.ToLowerInvariant().TrimEnd('s') switch
            {
                "day" => new DateReference(phrase, said.AddDays(-amount), DateGranularity.Day),
                "week" => new DateReference(phrase, WeekStart(said.AddDays(-7 * amount)), DateGranularity.Week),
                "month" => new DateReference(phrase, MonthStart(said.AddMonths(-amount)), DateGranularity.Month),
                "year" => new DateReference(phrase, new DateOnly(said.Year - amount, 1, 1), DateGranularity.Year),
                _ => null,
            };
        }

        if (match.Groups["weekday"].Success)
        {
            var day = (DayOfWeek)Array.IndexOf(WeekdayNames, match.Groups["weekday"].Value.ToLowerInvariant());
            var date = match.Groups["rel"].Value.ToLowerInvariant() switch
            {
                "last" => Previous(said, day),
                "next" => Next(said, day),
                _ => WeekStart(said).AddDays(((int)day + 6) % 7),
            };
            return new DateReference(phrase, date, DateGranularity.Day);
        }

        var normalized = WhiteSpace().Replace(phrase, " ");
        return normalized switch
        {
            "today" or "tonight" or "this morning" or "this afternoon" or "this evening" => new(phrase, said, DateGranularity.Day),
            "yesterday" or "last night" => new(phrase, said.AddDays(-1), DateGranularity.Day),
            "the day before yesterday" => new(phrase, said.AddDays(-2), DateGranularity.Day),
            "tomorrow" => new(phrase, said.AddDays(1), DateGranularity.Day),
            "the day after tomorrow" => new(phrase, said.AddDays(2), DateGranularity.Day),
            "last week" => new(phrase, WeekStart(said).AddDays(-7), DateGranularity.Week),
            "this week" => new(phrase, WeekStart(said), DateGranularity.Week),
            "next week" => new(phrase, WeekStart(said).AddDays(7), DateGranularity.Week),
            "last weekend" => new(phrase, WeekStart(said).AddDays(-2), DateGranularity.Day),
            "this weekend" => new(phrase, WeekStart(said).AddDays(5), DateGranularity.Day),
            "next weekend" => new(phrase, WeekStart(said).AddDays(12), DateGranularity.Day),
            "last month" => new(phrase, MonthStart(said.AddMonths(-1)), DateGranularity.Month),
            "this month" => new(phrase, MonthStart(said), DateGranularity.Month),
            "next month" => new(phrase, MonthStart(said.AddMonths(1)), DateGranularity.Month),
            "last year" => new(phrase, new DateOnly(said.Year - 1, 1, 1), DateGranularity.Year),
            "this year" => new(phrase, new DateOnly(said.Year, 1, 1), DateGranularity.Year),
            "next year" => new(phrase, new DateOnly(said.Year + 1, 1, 1), DateGranularity.Year),
            _ => null,
        };
    }

    private static string Render(DateReference reference, bool afterPreposition)
    {
        var iso = reference.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var lead = reference.Phrase.Contains("weekend", StringComparison.OrdinalIgnoreCase) ? "the weekend of " : string.Empty;
        return reference.Granularity switch
        {
            DateGranularity.Day => afterPreposition ? lead + iso : (lead.Length > 0 ? "on " + lead + iso : "on " + iso),
            DateGranularity.Week => (afterPreposition ? string.Empty : "in ") + "the week of " + iso,
            DateGranularity.Month => (afterPreposition ? string.Empty : "in ") + reference.Date.ToString("MMMM yyyy", CultureInfo.InvariantCulture),
            _ => (afterPreposition ? string.Empty : "in ") + reference.Date.Year.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static bool PrecededByPreposition(string text, int index)
    {
        var before = text[..index].TrimEnd();
        var start = before.LastIndexOf(' ') + 1;
        return before[start..].ToLowerInvariant() is "on" or "since" or "until" or "till" or "by" or "from" or "before" or "after" or "in" or "during" or "of";
    }

    private static DateOnly WeekStart(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static DateOnly MonthStart(DateOnly date) => new(date.Year, date.Month, 1);

    private static DateOnly Previous(DateOnly date, DayOfWeek day)
    {
        var back = ((int)date.DayOfWeek - (int)day + 7) % 7;
        return date.AddDays(back == 0 ? -7 : -back);
    }

    private static DateOnly Next(DateOnly date, DayOfWeek day)
    {
        var ahead = ((int)day - (int)date.DayOfWeek + 7) % 7;
        return date.AddDays(ahead == 0 ? 7 : ahead);
    }

    private static int Number(string word) => word.ToLowerInvariant() switch
    {
        "a" or "an" or "one" => 1,
        "two" or "a couple of" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        var digits => int.Parse(digits, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(
        @"\b(?:(?<ago>(?<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of)\s+(?<unit>days?|weeks?|months?|years?)\s+ago)" +
        @"|(?<rel>last|next|this)\s+(?<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)" +
        @"|the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|yesterday|today|tonight|tomorrow" +
        @"|last\s+night|this\s+(?:morning|afternoon|evening)" +
        @"|(?:last|this|next)\s+(?:weekend|week|month|year))\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Phrase();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
