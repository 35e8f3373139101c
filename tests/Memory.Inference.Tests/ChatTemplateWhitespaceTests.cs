using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>
/// Hugging Face renders with trim_blocks and lstrip_blocks; each rule here, with jinja2 3.1.6's output for it, so that a
/// prompt never gains or loses a newline the model was trained without.
/// </summary>
public sealed class ChatTemplateWhitespaceTests
{
    [Theory]
    // trim_blocks: exactly one newline after a block or comment tag goes, not after {{ }}, not with +%}.
    [InlineData("{% if true %}\nx{% endif %}", "x")]
    [InlineData("{% if true %}\n\nx{% endif %}", "\nx")]
    [InlineData("{% if true %}  \nx{% endif %}", "  \nx")]
    [InlineData("{{ 'a' }}\nb", "a\nb")]
    [InlineData("{# c #}\nx", "x")]
    [InlineData("{% if true +%}\nx{% endif %}", "\nx")]
    // lstrip_blocks: spaces and tabs from the line start to a block or comment tag go; not before {{ }}, not with {%+,
    // not when other text precedes the tag on its line.
    [InlineData("  {% if true %}x{% endif %}", "x")]
    [InlineData("\t {% if true %}x{% endif %}", "x")]
    [InlineData("a {% if true %}x{% endif %}", "a x")]
    [InlineData("  {{ 'x' }}", "  x")]
    [InlineData("  {%+ if true %}x{% endif %}", "  x")]
    [InlineData("  {# c #}x", "x")]
    // "-" strips all whitespace, newlines included, on its side of the tag.
    [InlineData("a \n\n {%- if true %}x{% endif %}", "ax")]
    [InlineData("{% if true -%} \n\n x{% endif %}", "x")]
    [InlineData("a \n {{- 'x' -}} \n b", "axb")]
    [InlineData("a \n {#- c -#} \n b", "ab")]
    // Both rules together: a block tag alone on an indented line leaves nothing behind.
    [InlineData("a\n    {% set x = 1 %}\nb", "a\nb")]
    [InlineData("{% for x in xs %}\n    {{ x }}\n{% endfor %}", "    1\n    2\n")]
    [InlineData("{% for x in xs -%}\n    {{ x }}\n{%- endfor %}", "12")]
    [InlineData("  {% if true %}\n  x\n  {% endif %}\n", "  x\n")]
    // The template's one trailing newline is dropped (keep_trailing_newline=False); newlines are normalised to \n.
    [InlineData("x\n", "x")]
    [InlineData("x\n\n", "x\n")]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("a\rb", "a\nb")]
    // raw blocks are verbatim, and the newline after {% raw %} is kept (the lexer does not trim there).
    [InlineData("{% raw %}{{ x }}{% endraw %}", "{{ x }}")]
    [InlineData("{% raw %}\nx{% endraw %}", "\nx")]
    public void Follows_jinja2_whitespace_control(string template, string expected)
    {
        var variables = new Dictionary<string, object?> { ["xs"] = new object?[] { 1, 2 } };
        Assert.Equal(expected, ChatTemplate.Parse(template).Render([], false, variables));
    }

    [Fact]
    public void A_plus_before_the_closing_braces_of_an_expression_is_not_a_modifier()
    {
        // jinja2 has "+%}" and "+#}" but no "+}}": the "+" is an operator with nothing on its right.
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ 'x' +}}"));
        Assert.Contains("unexpected 'end of print statement'", error.Message, StringComparison.Ordinal);
    }
}
