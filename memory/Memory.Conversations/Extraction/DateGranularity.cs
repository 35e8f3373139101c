namespace Memory.Conversations.Extraction;

/// <summary>How much of a time a grounded phrase pins down; the stored date is the first day of that span.</summary>
public enum DateGranularity
{
    Day,
    Week,
    Month,
    Year,
}
