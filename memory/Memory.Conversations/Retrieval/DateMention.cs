namespace Memory.Conversations.Retrieval;

/// <summary>A calendar date named in a query ("on 16 June, 2023", "in May 2023", "in 2024"), to the precision it was written.</summary>
public sealed record DateMention(DateOnly Date, DatePrecision Precision)
{
    /// <summary>
    /// How well a memory's time fits: 1 on the same day (month, year), ½ within a week of a named day,
    /// otherwise 0. Memories carry the time of the message they came from.
    /// </summary>
    public double Match(DateTimeOffset when)
    {
        var day = DateOnly.FromDateTime(when.UtcDateTime);
        return Precision switch
        {
            DatePrecision.Day when day == Date => 1,
            DatePrecision.Day when Math.Abs(day.DayNumber - Date.DayNumber) <= 7 => 0.5,
            DatePrecision.Month when day.Year == Date.Year && day.Month == Date.Month => 1,
            DatePrecision.Year when day.Year == Date.Year => 1,
            _ => 0,
        };
    }
}
