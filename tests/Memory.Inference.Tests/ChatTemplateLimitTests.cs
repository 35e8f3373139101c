using System.Text;
using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>
/// Templates come from model repositories, so a hostile or broken one must end in a <see cref="ChatTemplateException"/>
/// rather than hang the server, exhaust its memory or overflow its stack.
/// </summary>
public sealed class ChatTemplateLimitTests
{
    private static ChatTemplateException Fails(string template, IReadOnlyDictionary<string, object?>? variables = null) =>
        Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render([], false, variables));

    [Fact]
    public void Output_is_capped()
    {
        var error = Fails("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}");
        Assert.Contains(nameof(ChatTemplate.MaxOutputLength), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_just_under_the_cap_is_fine()
    {
        string output = ChatTemplate.Parse("{{ 'x' * n }}").Render([], false, new Dictionary<string, object?> { ["n"] = ChatTemplate.MaxOutputLength });
        Assert.Equal(ChatTemplate.MaxOutputLength, output.Length);
    }

    [Fact]
    public void A_loop_that_never_ends_in_practice_runs_out_of_steps()
    {
        var error = Fails("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}");
        Assert.Contains(nameof(ChatTemplate.MaxSteps), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_built_by_doubling_are_capped_before_they_are_allocated()
    {
        var error = Fails("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}");
        Assert.Contains(nameof(ChatTemplate.MaxOutputLength), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ChatTemplate.MaxOutputLength), Fails("{{ ('a' * 1000000000)|length }}").Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ChatTemplate.MaxOutputLength), Fails("{{ ([0] * 1000000000)|length }}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Total_work_is_capped_even_when_each_value_is_small()
    {
        // Each concatenation is 4 Mi characters, well under the per-value cap; building a hundred of them is not.
        var error = Fails("{% set big = 'x' * 4194304 %}{% for i in range(100) %}{% set copy = big ~ i %}{% endfor %}");
        Assert.Contains(nameof(ChatTemplate.MaxWork), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unbounded_macro_recursion_stops_at_the_depth_limit()
    {
        var error = Fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        Assert.Contains(nameof(ChatTemplate.MaxDepth), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bounded_macro_recursion_works()
    {
        Assert.Equal("3628800", ChatTemplate.Parse("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(10) }}").Render([], false));
    }

    [Fact]
    public void Deep_recursive_loops_stop_at_the_depth_limit()
    {
        var error = Fails("{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}");
        Assert.Contains(nameof(ChatTemplate.MaxDepth), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_source_is_a_syntax_error_not_a_stack_overflow()
    {
        string parentheses = "{{ " + new string('(', 100_000) + "1" + new string(')', 100_000) + " }}";
        Assert.Contains("nests deeper", Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(parentheses)).Message, StringComparison.Ordinal);
        var ifs = new StringBuilder();
        for (int i = 0; i < 10_000; i++)
        {
            ifs.Append("{% if true %}");
        }

        Assert.Contains("nests deeper", Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(ifs.ToString())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_very_long_operator_chain_is_refused_at_render_time_not_by_a_crash()
    {
        // A variable on the left, so that the chain is not folded into a constant while parsing (as jinja2 would fold it).
        var variables = new Dictionary<string, object?> { ["n"] = 1 };
        string chain = "{{ n" + string.Concat(Enumerable.Repeat(" + 1", 50_000)) + " }}";
        Assert.Contains(nameof(ChatTemplate.MaxDepth), Fails(chain, variables).Message, StringComparison.Ordinal);
        Assert.Equal("301", ChatTemplate.Parse("{{ n" + string.Concat(Enumerable.Repeat(" + 1", 300)) + " }}").Render([], false, variables));
        Assert.Equal("50001", ChatTemplate.Parse("{{ 1" + string.Concat(Enumerable.Repeat(" + 1", 50_000)) + " }}").Render([], false));
    }

    [Fact]
    public void Self_nesting_data_cannot_be_printed_or_serialised_without_bound()
    {
        const string nest = "{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}";
        Assert.Contains("nested deeper", Fails(nest + "{{ ns.x }}").Message, StringComparison.Ordinal);
        Assert.Contains("nested deeper", Fails(nest + "{{ ns.x|tojson }}").Message, StringComparison.Ordinal);
        Assert.Contains("nested deeper", Fails(nest + "{{ ns.x == ns.x[0] }}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sandbox_range_limit_applies()
    {
        Assert.Contains("Range too big", Fails("{{ range(100001)|length }}").Message, StringComparison.Ordinal);
        Assert.Equal("100000", ChatTemplate.Parse("{{ range(100000)|length }}").Render([], false));
    }

    [Fact]
    public void A_long_real_conversation_is_well_within_the_limits()
    {
        var chat = ChatTemplate.Parse(File.ReadAllText(Path.Combine(ChatTemplateFixtures.Directory, "chatml_tools.jinja")));
        var turns = Enumerable.Range(0, 5000).Select(i => new ChatTurn(i % 2 == 0 ? "user" : "assistant", $"message {i} " + new string('x', 200))).ToList();
        string prompt = chat.Render(turns, true);
        Assert.EndsWith("<|im_start|>assistant\n", prompt, StringComparison.Ordinal);
        Assert.Contains("message 4999 ", prompt, StringComparison.Ordinal);
    }
}
