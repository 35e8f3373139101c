using Memory.Conversations.Extraction;

namespace Memory.Conversations.Tests;

public class LenientJsonTests
{
    [Theory]
    [InlineData("""{"facts": ["a"]}""")]
    [InlineData("```json\n{\"facts\": [\"a\"]}\n```")]
    [InlineData("Here you go:\n```\n{\"facts\": [\"a\"]}\n```\nAnything else?")]
    [InlineData("Sure! {\"facts\": [\"a\"]} Hope that helps {not json}")]
    [InlineData("{'facts': ['a']}")]
    [InlineData("{\"facts\": [\"a\",], // trailing comma and a comment\n}")]
    [InlineData("{'facts': ['a'], 'done': True, 'note': None}")]
    public void Reads_the_object_a_model_meant(string answer)
    {
        Assert.True(LenientJson.TryParse(answer, out var root, out var error), error);
        Assert.Equal("a", root.GetProperty("facts")[0].GetString());
    }

    [Fact]
    public void Apostrophes_inside_double_quoted_strings_survive()
    {
        Assert.True(LenientJson.TryParse("{\"facts\": [\"Alice's cat is called 'Tom'\"]}", out var root, out _));
        Assert.Equal("Alice's cat is called 'Tom'", root.GetProperty("facts")[0].GetString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("I could not find any facts.", "no JSON object")]
    [InlineData("{\"facts\": [{\"text\": \"User likes", "truncated")]
    [InlineData("{\"facts\": [\"a\" \"b\"]}", "not valid JSON")]
    public void Unusable_answers_say_why(string answer, string reason)
    {
        Assert.False(LenientJson.TryParse(answer, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
