namespace Memory.Conversations.Retrieval;

/// <summary>How exact a date written in a query is.</summary>
public enum DatePrecision
{
    Year,
    Month,
    Day,
}
