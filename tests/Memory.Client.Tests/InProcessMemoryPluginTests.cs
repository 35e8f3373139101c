using Memory.Client.Tests.Infrastructure;
using Memory.SemanticKernel;
using Memory.SemanticKernel.InProcess;
using Microsoft.SemanticKernel;

namespace Memory.Client.Tests;

/// <summary>The same plugin hosted in-process: no server, the engine behind <see cref="InProcessMemoryClient"/>.</summary>
public sealed class InProcessMemoryPluginTests(InProcessMemory memory) : IClassFixture<InProcessMemory>
{
    [Fact]
    public async Task Remember_recall_and_forget_in_process()
    {
        var user = TestScopes.NewUser("frank");
        var kernel = new Kernel();
        kernel.ImportMemoryPlugin(memory.Client, MemoryScopeIds.ForUser(user));

        var remembered = await kernel.InvokeAsync<RememberOutcome>("memory", "remember", new() { ["fact"] = "The user keeps bees on the roof." });
        var id = Assert.Single(remembered!.Memories).Id;

        var recalled = await kernel.InvokeAsync<IReadOnlyList<RecalledMemory>>("memory", "recall", new() { ["query"] = "bees" });
        Assert.Equal("The user keeps bees on the roof.", recalled![0].Text);

        var history = await memory.Client.GetHistoryAsync(id);
        Assert.Equal("semantic-kernel", Assert.Single(history).ActorId);

        var forgotten = await kernel.InvokeAsync<ForgetOutcome>("memory", "forget", new() { ["memoryId"] = id });
        Assert.True(forgotten!.Forgotten);
        Assert.Empty(await memory.Client.ListAsync(MemoryScopeIds.ForUser(user)));
    }
}
