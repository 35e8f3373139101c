namespace Memory.Storage.Tests;

public sealed class TextQueryTermsTests
{
    [Theory]
    [InlineData("Golden retriever, PUPPY!", new[] { "golden", "retriever", "puppy" })]
    [InlineData("the cat and the hat", new[] { "cat", "hat" })]
    [InlineData("\"quoted\" OR NEAR(x) col:val", new[] { "quoted", "near", "x", "col", "val" })]
    [InlineData("x x X", new[] { "x" })]
    [InlineData("東京 кофе", new[] { "東京", "кофе" })]
    [InlineData("🙂 👩‍👩‍👧", new string[0])]
    [InlineData("", new string[0])]
    [InlineData("a1b2 3.14", new[] { "a1b2", "3", "14" })]
    public void Only_plain_words_survive(string query, string[] expected)
    {
        Assert.Equal(expected, TextQueryTerms.Extract(query));
    }

    [Fact]
    public void A_combining_accent_stays_part_of_its_word()
    {
        Assert.Equal(["cafe\u0301", "x"], TextQueryTerms.Extract("cafe\u0301 x"));
    }

    [Fact]
    public void Terms_are_bounded_in_number_and_length()
    {
        var terms = TextQueryTerms.Extract(string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}")) + " " + new string('y', 500));
        Assert.Equal(TextQueryTerms.MaxTerms, terms.Count);
        Assert.All(terms, t => Assert.True(t.Length <= TextQueryTerms.MaxTermLength));
    }
}
