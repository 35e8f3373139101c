using System.Globalization;
using System.Text.RegularExpressions;

namespace Memory.Conversations.Retrieval;

/// <summary>Finds the absolute dates an English query names; relative ones ("last week") are left alone.</summary>
public static partial class QueryDates
{
    private const string Month = "(?<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

    public static IReadOnlyList<DateMention> Find(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var mentions = new List<DateMention>();
        var claimed = new bool[query.Length];

        foreach (Match m in IsoDate().Matches(query))
        {
            if (DateOnly.TryParseExact(m.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                Add(mentions, claimed, m, new DateMention(date, DatePrecision.Day));
            }
        }

        foreach (var regex in new[] { DayMonthYear(), MonthDayYear() })
        {
            foreach (Match m in regex.Matches(query))
            {
                if (TryDate(m, out var date))
                {
                    Add(mentions, claimed, m, new DateMention(date, DatePrecision.Day));
                }
            }
        }

        foreach (Match m in MonthYear().Matches(query))
        {
            if (!IsClaimed(claimed, m) && TryMonth(m.Groups["month"].Value, out var month) && TryYear(m.Groups["year"].Value, out var year))
            {
                Add(mentions, claimed, m, new DateMention(new DateOnly(year, month, 1), DatePrecision.Month));
            }
        }

        foreach (Match m in Year().Matches(query))
        {
            if (!IsClaimed(claimed, m) && TryYear(m.Value, out var year))
            {
                Add(mentions, claimed, m, new DateMention(new DateOnly(year, 1, 1), DatePrecision.Year));
            }
        }

        return mentions;
    }

    private static bool TryDate(Match m, out DateOnly date)
    {
        date = default;
        return TryMonth(m.Groups["month"].Value, out var month)
            && TryYear(m.Groups["year"].Value, out var year)
            && int.TryParse(m.Groups["day"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && (date = new DateOnly(year, month, day)) != default;
    }

    private static bool TryMonth(string text, out int month)
    {
        month = 0;
        if (text.Length < 3)
        {
            return false;
        }

        var prefix = text[..3].ToLowerInvariant();
        month = Array.IndexOf(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], prefix) + 1;
        return month > 0;
    }

    private static bool TryYear(string text, out int year) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out year) && year is >= 1900 and <= 2199;

    private static bool IsClaimed(bool[] claimed, Match m)
    {
        for (var i = m.Index; i < m.Index + m.Length; i++)
        {
            if (claimed[i])
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(List<DateMention> mentions, bool[] claimed, Match m, DateMention mention)
    {
        if (IsClaimed(claimed, m))
        {
            return;
        }

        Array.Fill(claimed, true, m.Index, m.Length);
        if (!mentions.Contains(mention))
        {
            mentions.Add(mention);
        }
    }

    [GeneratedRegex(@"\b(?:19|20|21)\d{2}-\d{2}-\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b(?<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + Month + @"\.?,?\s+(?<year>\d{4})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DayMonthYear();

    [GeneratedRegex(@"\b" + Month + @"\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?<year>\d{4})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MonthDayYear();

    [GeneratedRegex(@"\b" + Month + @"\.?,?\s+(?:of\s+)?(?<year>\d{4})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MonthYear();

    [GeneratedRegex(@"\b(?:19|20|21)\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Year();
}
