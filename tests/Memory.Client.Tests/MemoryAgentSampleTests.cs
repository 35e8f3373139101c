using Memory.Client.Tests.Infrastructure;
using Memory.Client.Tests.Sample;

namespace Memory.Client.Tests;

/// <summary>The README sample end to end: a scripted model calls the memory tools; the real server stores and recalls.</summary>
public sealed class MemoryAgentSampleTests(MemoryServer server) : IClassFixture<MemoryServer>
{
    [Fact]
    public async Task The_agent_remembers_in_one_session_and_is_reminded_in_the_next()
    {
        var user = TestScopes.NewUser("dana");
        await using var llm = await ScriptedChatServer.StartAsync(
            ScriptedReply.CallTool("remember", """{"fact": "The user is vegetarian and loves Thai food."}"""),
            ScriptedReply.Say("Got it, I will remember that."),
            ScriptedReply.Say("How about a green curry with tofu?"));

        var first = await MemoryAgentSample.AskAsync(server.Factory.BaseAddress, server.Factory.AlphaKey, llm.Endpoint, "sk-test", "scripted-model",
            user, "Please remember that I'm vegetarian and love Thai food.");
        Assert.Equal("Got it, I will remember that.", first);

        var client = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);
        var stored = Assert.Single(await client.ListAsync(MemoryScopeIds.ForUser(user)));
        Assert.Equal("The user is vegetarian and loves Thai food.", stored.Text);

        // The tool result went back to the model in the second request.
        var toolTurn = llm.MessagesOf(1);
        Assert.Contains(toolTurn, m => m.Role == "tool" && m.Content.Contains("vegetarian", StringComparison.Ordinal));

        var second = await MemoryAgentSample.AskAsync(server.Factory.BaseAddress, server.Factory.AlphaKey, llm.Endpoint, "sk-test", "scripted-model",
            user, "What should I cook tonight?");
        Assert.Equal("How about a green curry with tofu?", second);

        // Before the model was called, the relevant memory was put in front of the prompt.
        var reminded = llm.MessagesOf(2);
        Assert.Equal("system", reminded[0].Role);
        Assert.Contains("The user is vegetarian and loves Thai food.", reminded[0].Content, StringComparison.Ordinal);
        Assert.Equal(("user", "What should I cook tonight?"), reminded[^1]);
    }
}
