using Memory.Conversations.Extraction;

namespace Memory.Conversations.Tests;

public class RelativeDatesTests
{
    // A Monday.
    private static readonly DateOnly Said = new(2023, 5, 8);

    [Theory]
    [InlineData("User went hiking yesterday.", "User went hiking on 2023-05-07.")]
    [InlineData("User has a dentist appointment tomorrow.", "User has a dentist appointment on 2023-05-09.")]
    [InlineData("User moved to Berlin 3 days ago.", "User moved to Berlin on 2023-05-05.")]
    [InlineData("User started a new job two weeks ago.", "User started a new job in the week of 2023-04-24.")]
    [InlineData("User visited Rome last month.", "User visited Rome in April 2023.")]
    [InlineData("User graduated last year.", "User graduated in 2022.")]
    [InlineData("User painted a sunrise last Friday.", "User painted a sunrise on 2023-05-05.")]
    [InlineData("User will fly out next Monday.", "User will fly out on 2023-05-15.")]
    [InlineData("User ran a marathon last week.", "User ran a marathon in the week of 2023-05-01.")]
    [InlineData("User has been sick since yesterday.", "User has been sick since 2023-05-07.")]
    [InlineData("User went to a concert last weekend.", "User went to a concert on the weekend of 2023-05-06.")]
    [InlineData("User likes the word yesterdays.", "User likes the word yesterdays.")]
    public void Relative_phrases_become_the_dates_they_meant(string fact, string grounded)
    {
        var (text, _) = RelativeDates.Ground(fact, Said);
        Assert.Equal(grounded, text);
    }

    [Fact]
    public void Each_phrase_is_recorded_with_its_date_and_granularity()
    {
        var (_, references) = RelativeDates.Ground("User met Bob yesterday and starts at Acme next month.", Said);
        Assert.Equal(2, references.Count);
        Assert.Equal(("yesterday", new DateOnly(2023, 5, 7), DateGranularity.Day), (references[0].Phrase, references[0].Date, references[0].Granularity));
        Assert.Equal(("next month", new DateOnly(2023, 6, 1), DateGranularity.Month), (references[1].Phrase, references[1].Date, references[1].Granularity));
    }
}
