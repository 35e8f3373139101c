using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>
/// jinja2's default (lenient) Undefined, as Hugging Face uses it: a missing variable or key prints as nothing, tests as
/// not defined, iterates as empty and is falsy, but using it further (attribute, item, arithmetic, ordering, call) is an
/// error that names what was missing.
/// </summary>
public sealed class ChatTemplateUndefinedTests
{
    private static string Render(string template) =>
        ChatTemplate.Parse(template).Render([], false, new Dictionary<string, object?> { ["xs"] = new object?[] { 1, 2 } });

    [Theory]
    [InlineData("[{{ x }}]", "[]")]
    [InlineData("{{ x is defined }}|{{ x is undefined }}", "False|True")]
    [InlineData("{{ x|default('d') }}|{{ x|d('d') }}", "d|d")]
    [InlineData("{% for i in x %}a{% else %}empty{% endfor %}", "empty")]
    [InlineData("{{ x|length }}|{{ x|list }}|{{ x|join(',') }}", "0|[]|")]
    [InlineData("{% if x %}t{% else %}f{% endif %}|{{ not x }}", "f|True")]
    [InlineData("{{ x == y }}|{{ x == none }}|{{ x != none }}", "True|False|True")]
    [InlineData("{{ x ~ '!' }}|{{ x|upper }}|{{ x|trim }}", "!||")]
    [InlineData("{{ x or 'fallback' }}|{{ x and 1 }}", "fallback|")]
    [InlineData("{% set d = {'a': 1} %}{{ d.b }}|{{ d['b'] }}|{{ d.b is defined }}|{{ d.get('b', 'fallback') }}", "||False|fallback")]
    [InlineData("{{ xs[5] }}|{{ xs[5] is defined }}|{{ 'abc'.nope is defined }}", "|False|False")]
    [InlineData("{{ 'no else' if false }}|{{ ('no else' if false) is defined }}", "|False")]
    public void Is_empty_falsy_and_not_defined(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{{ x.y }}", "'x' is undefined")]
    [InlineData("{{ x['y'] }}", "'x' is undefined")]
    [InlineData("{{ x.y is defined }}", "'x' is undefined")]
    [InlineData("{{ messages_missing.role }}", "'messages_missing' is undefined")]
    [InlineData("{{ xs[5].role }}", "list object has no element 5")]
    [InlineData("{{ xs.nope.deeper }}", "'list object' has no attribute 'nope'")]
    [InlineData("{% set d = {'a': 1} %}{{ d.b.c }}", "'dict object' has no attribute 'b'")]
    [InlineData("{{ x + 1 }}", "'x' is undefined")]
    [InlineData("{{ x < 1 }}", "'x' is undefined")]
    [InlineData("{{ x() }}", "'x' is undefined")]
    [InlineData("{{ -x }}", "'x' is undefined")]
    [InlineData("{{ (1 if false).role }}", "the inline if-expression on line 1 evaluated to false and no else section was defined.")]
    public void Raises_when_used_further_and_names_what_is_missing(string template, string message)
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render(template));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.False(error.RaisedByTemplate);
    }

    [Fact]
    public void A_mutating_method_of_the_immutable_sandbox_is_undefined_and_refuses_to_run()
    {
        Assert.Equal("|False", Render("{{ xs.append }}|{{ xs.append is defined }}"));
        var error = Assert.Throws<ChatTemplateException>(() => Render("{{ xs.append(3) }}"));
        Assert.Contains("access to attribute 'append' of 'list' object is unsafe.", error.Message, StringComparison.Ordinal);
    }
}
