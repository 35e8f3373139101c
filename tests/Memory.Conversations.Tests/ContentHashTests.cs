using Memory.Conversations.Ingestion;

namespace Memory.Conversations.Tests;

public class ContentHashTests
{
    [Fact]
    public void Spacing_and_case_do_not_change_the_hash()
    {
        var a = ContentHash.Compute("  I  moved to\tBERLIN in 2022 ");
        var b = ContentHash.Compute("i moved to berlin in 2022");
        Assert.Equal(a, b);
        Assert.Equal(64, a.Length);
    }

    [Fact]
    public void Different_words_give_different_hashes()
    {
        Assert.NotEqual(ContentHash.Compute("I moved to Berlin"), ContentHash.Compute("I moved to Bern"));
    }
}
