using Memory.Inference.Chat;

namespace Memory.Inference.Tests;

/// <summary>One parsed template is shared by all requests; renders must not see each other's state (scopes, namespaces, loop counters, cyclers).</summary>
public sealed class ChatTemplateConcurrencyTests
{
    private const string Template =
        "{%- set ns = namespace(count=0, names=[]) %}" +
        "{%- set c = cycler('odd', 'even') %}" +
        "{%- for m in messages %}" +
        "{%- set ns.count = ns.count + m.content|length %}" +
        "{%- set ns.names = ns.names + [m.role ~ loop.index] %}" +
        "[{{ c.next() }}:{{ m.content|upper }}]" +
        "{%- endfor %}" +
        "{{ ns.count }}|{{ ns.names|join(',') }}|{{ tag }}";

    [Fact]
    public async Task Concurrent_renders_of_one_template_give_the_sequential_results()
    {
        var chat = ChatTemplate.Parse(Template);
        var conversations = Enumerable.Range(0, 32).Select(i => Enumerable.Range(0, 1 + (i % 7))
            .Select(j => new ChatTurn(j % 2 == 0 ? "user" : "assistant", $"c{i}-m{j}-" + new string('z', i)))
            .ToList()).ToList();
        var expected = conversations.Select((c, i) => chat.Render(c, false, Variables(i))).ToList();
        Assert.Equal(32, expected.Distinct(StringComparer.Ordinal).Count());

        var tasks = Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            var mismatches = new List<string>();
            for (int round = 0; round < 40; round++)
            {
                int i = (worker * 7 + round) % conversations.Count;
                string actual = chat.Render(conversations[i], false, Variables(i));
                if (actual != expected[i])
                {
                    mismatches.Add($"conversation {i}: {actual}");
                }
            }

            return mismatches;
        })).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.Empty(results.SelectMany(r => r));
    }

    private static Dictionary<string, object?> Variables(int i) => new() { ["tag"] = $"t{i}" };
}
