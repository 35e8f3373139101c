using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>Errors say where (line:column, 1-based) and what: what was expected for syntax errors, what went wrong at run time, the template's own words for raise_exception.</summary>
public sealed class ChatTemplateErrorTests
{
    [Theory]
    [InlineData("line1\n{{ 1 +* 2 }}", 2, 7, "unexpected '*'")]
    [InlineData("{% for x in xs %}\n{{ x }}", 2, 8, "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.")]
    [InlineData("{% if a %}\n  {% endfor %}", 2, 6, "Encountered unknown tag 'endfor'. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'.")]
    [InlineData("a\nb\n  {% frobnicate %}", 3, 6, "Encountered unknown tag 'frobnicate'.")]
    [InlineData("x {{ 'unclosed }}", 1, 6, "string literal is never closed")]
    [InlineData("ok\n\n{{ never closed", 3, 1, "never closed with '}}'")]
    [InlineData("{# comment", 1, 1, "never closed with '#}'")]
    [InlineData("{% for x y %}{% endfor %}", 1, 10, "expected token 'in', got 'y'")]
    [InlineData("{% set 1 = 2 %}", 1, 8, "can't assign to 'const'")]
    [InlineData("{{ f(a=1, 2) }}", 1, 5, "invalid syntax for function call expression")]
    [InlineData("{{ x|no_such_filter }}", 1, 6, "No filter named 'no_such_filter'.")]
    [InlineData("{{ x is no_such_test }}", 1, 9, "No test named 'no_such_test'.")]
    [InlineData("{% include 'other.jinja' %}", 1, 4, "'include' is not supported")]
    [InlineData("{% break %}", 1, 4, "'break' outside of a for loop")]
    public void Syntax_errors_carry_line_column_and_what_was_expected(string template, int line, int column, string message)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains($"{line}:{column}", error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
    }

    [Theory]
    [InlineData("line1\nline2 {{ messages[0].role }}", 2, 21, "list object has no element 0")]
    [InlineData("{% for m in [1] %}\n  {{ m + 'a' }}\n{% endfor %}", 2, 8, "unsupported operand type(s) for +: 'int' and 'str'")]
    [InlineData("\n\n{{ 'a'|tojson(indent=x.y) }}", 3, 23, "'x' is undefined")]
    [InlineData("{% set x = 1 %}{% set x.attr = 2 %}", 1, 19, "cannot assign attribute on non-namespace object")]
    public void Runtime_errors_carry_the_line_and_column_of_the_failing_expression(string template, int line, int column, string message)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render([], false));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.False(error.RaisedByTemplate);
    }

    [Fact]
    public void Raise_exception_carries_the_templates_message_verbatim()
    {
        const string template = "{% for m in messages %}\n{% if m.role == 'user' and loop.index0 % 2 == 1 %}\n{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}\n{% endif %}\n{% endfor %}";
        var chat = ChatTemplate.Parse(template);
        Assert.Equal("", chat.Render([new ChatTurn("user", "a"), new ChatTurn("assistant", "b")], false));
        var error = Assert.Throws<ChatTemplateException>(() => chat.Render([new ChatTurn("user", "a"), new ChatTurn("user", "b")], false));
        Assert.True(error.RaisedByTemplate);
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Message);
        Assert.Equal(3, error.Line);
        Assert.Equal(4, error.Column);
    }

    [Fact]
    public void An_unknown_filter_inside_an_if_block_fails_only_when_it_runs()
    {
        // jinja2 3 checks filters in if-blocks and conditional expressions at run time.
        var chat = ChatTemplate.Parse("{% if flag %}{{ x|no_such_filter }}{% endif %}ok");
        Assert.Equal("ok", chat.Render([], false, new Dictionary<string, object?> { ["flag"] = false }));
        var error = Assert.Throws<ChatTemplateException>(() => chat.Render([], false, new Dictionary<string, object?> { ["flag"] = true }));
        Assert.Contains("No filter named 'no_such_filter' found.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Filters_jinja2_has_but_chat_templates_do_not_need_fail_clearly()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ 'x'|urlencode }}").Render([], false));
        Assert.Contains("'urlencode' filter is not supported", error.Message, StringComparison.Ordinal);
    }
}
