using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>jinja2's operator precedence, which differs from Python's in places (<c>**</c> is left-associative, <c>~</c> sits between <c>+</c> and <c>*</c>, filters apply to a whole unary expression).</summary>
public sealed class ChatTemplateOperatorTests
{
    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ (2 + 3) * 4 }}", "20")]
    [InlineData("{{ 2 + 3 * 4 ** 2 }}", "50")]
    [InlineData("{{ 2 ** 3 ** 2 }}", "64")]
    [InlineData("{{ -2 ** 2 }}", "4")]
    [InlineData("{{ 2 ** -2 }}", "0.25")]
    [InlineData("{{ 10 - 2 - 3 }}", "5")]
    [InlineData("{{ 1 - -1 }}", "2")]
    [InlineData("{{ 2 * 3 % 4 }}", "2")]
    [InlineData("{{ 7 // 2 * 2 }}", "6")]
    [InlineData("{{ 10 / 4 * 2 }}", "5.0")]
    [InlineData("{{ 2 * 3 ~ 4 }}", "64")]
    [InlineData("{{ (1 ~ 2) * 2 }}", "1212")]
    [InlineData("{{ 3 * 'ab' ~ 1 }}", "ababab1")]
    [InlineData("{{ 'ab'|upper ~ 'c' }}", "ABc")]
    [InlineData("{{ -3|abs }}", "3")]
    [InlineData("{{ [1, 2]|length + 1 }}", "3")]
    [InlineData("{{ 1 + [1, 2]|length }}", "3")]
    [InlineData("{{ not 1 == 2 }}", "True")]
    [InlineData("{{ not not 0 }}", "False")]
    [InlineData("{{ not x is defined }}", "True")]
    [InlineData("{{ x is defined and 1 }}", "False")]
    [InlineData("{{ 1 or 0 and 0 }}", "1")]
    [InlineData("{{ 1 == 1 and 2 > 1 or false }}", "True")]
    [InlineData("{{ 1 < 2 == 2 }}", "True")]
    [InlineData("{{ 'a' in 'abc' == true }}", "False")]
    [InlineData("{{ 1 if 0 else 2 + 3 }}", "5")]
    [InlineData("{{ 'x' if not [] else 'y' }}", "x")]
    public void Binds_like_jinja2(string template, string expected)
    {
        Assert.Equal(expected, ChatTemplate.Parse(template).Render([], false));
    }

    [Theory]
    [InlineData("{{ 1 ~ 2 + 3 }}", "can only concatenate str (not \"int\") to str")]
    [InlineData("{{ -[1, 2]|length }}", "bad operand type for unary -: 'list'")]
    public void Fails_where_jinja2_fails_because_of_precedence(string template, string message)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render([], false));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
