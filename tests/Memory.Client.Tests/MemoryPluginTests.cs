using System.ComponentModel;
using Memory.Client.Tests.Infrastructure;
using Memory.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace Memory.Client.Tests;

/// <summary>The plugin's kernel functions invoked through a Kernel against the real server.</summary>
public sealed class MemoryPluginTests(MemoryServer server) : IClassFixture<MemoryServer>
{
    private readonly MemoryClient _client = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);

    private Kernel KernelFor(string userId, MemoryPluginOptions? options = null)
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddMemoryClient(o =>
        {
            o.BaseAddress = server.Factory.BaseAddress;
            o.ApiKey = server.Factory.AlphaKey;
        });
        builder.AddMemoryPlugin(MemoryScopeIds.ForUser(userId), options);
        return builder.Build();
    }

    [Fact]
    public async Task Remember_recall_list_and_forget_work_through_the_kernel()
    {
        var user = TestScopes.NewUser("erin");
        var kernel = KernelFor(user);

        var remembered = await kernel.InvokeAsync<RememberOutcome>("memory", "remember", new() { ["fact"] = "The user is training for the Berlin marathon in September." });
        var added = Assert.Single(remembered!.Memories);
        Assert.Equal("ADD", added.Event);
        Assert.StartsWith("Remembered: ", remembered.Summary, StringComparison.Ordinal);
        await kernel.InvokeAsync("memory", "remember", new() { ["fact"] = "The user's cat is called Miso." });

        var stored = await _client.ListAsync(MemoryScopeIds.ForUser(user));
        Assert.Equal(2, stored.Count);
        Assert.All(stored, m => Assert.Equal(user, m.UserId));

        var recalled = await kernel.InvokeAsync<IReadOnlyList<RecalledMemory>>("memory", "recall", new() { ["query"] = "which marathon is the user running?" });
        Assert.Equal("The user is training for the Berlin marathon in September.", recalled![0].Text);
        Assert.Equal(added.Id, recalled[0].Id);
        Assert.InRange(recalled[0].Relevance!.Value, 0, 1);

        var one = await kernel.InvokeAsync<IReadOnlyList<RecalledMemory>>("memory", "recall", new() { ["query"] = "cat", ["maxResults"] = 1 });
        Assert.Equal("The user's cat is called Miso.", Assert.Single(one!).Text);

        var listed = await kernel.InvokeAsync<IReadOnlyList<RecalledMemory>>("memory", "list");
        Assert.Equal(2, listed!.Count);

        var forgotten = await kernel.InvokeAsync<ForgetOutcome>("memory", "forget", new() { ["memoryId"] = added.Id });
        Assert.True(forgotten!.Forgotten, forgotten.Summary);
        await Assert.ThrowsAsync<MemoryApiNotFoundException>(() => _client.GetAsync(added.Id));

        var again = await kernel.InvokeAsync<ForgetOutcome>("memory", "forget", new() { ["memoryId"] = added.Id });
        Assert.False(again!.Forgotten);
    }

    [Fact]
    public async Task A_plugin_never_reads_or_deletes_another_users_memories()
    {
        var alice = TestScopes.NewUser("alice");
        var bob = TestScopes.NewUser("bob");
        var bobsId = Assert.Single((await _client.AddAsync(new MemoryAddRequest
        {
            Messages = [MemoryMessage.User("Bob's alarm code is 4711.")],
            UserId = bob,
            Infer = false,
        })).Results).Id;
        var aliceKernel = KernelFor(alice);
        await aliceKernel.InvokeAsync("memory", "remember", new() { ["fact"] = "Alice prefers window seats." });

        var recalled = await aliceKernel.InvokeAsync<IReadOnlyList<RecalledMemory>>("memory", "recall", new() { ["query"] = "Bob's alarm code 4711" });
        Assert.DoesNotContain(recalled!, m => m.Id == bobsId);
        Assert.All(recalled!, m => Assert.Equal("Alice prefers window seats.", m.Text));
        var listed = await aliceKernel.InvokeAsync<IReadOnlyList<RecalledMemory>>("memory", "list");
        Assert.DoesNotContain(listed!, m => m.Id == bobsId);

        // An id the model got from elsewhere: refused, and Bob's memory stays.
        var forget = await aliceKernel.InvokeAsync<ForgetOutcome>("memory", "forget", new() { ["memoryId"] = bobsId });
        Assert.False(forget!.Forgotten);
        Assert.Equal("Bob's alarm code is 4711.", (await _client.GetAsync(bobsId)).Text);
    }

    [Fact]
    public async Task Remembering_a_known_fact_changes_nothing_and_host_metadata_is_stored()
    {
        var user = TestScopes.NewUser();
        var kernel = KernelFor(user, new MemoryPluginOptions { Metadata = new Dictionary<string, string> { ["app"] = "trip-planner" } });

        await kernel.InvokeAsync("memory", "remember", new() { ["fact"] = "The user is afraid of flying." });
        var repeat = await kernel.InvokeAsync<RememberOutcome>("memory", "remember", new() { ["fact"] = "The user is afraid of flying." });

        Assert.Equal("Already remembered; nothing changed.", repeat!.Summary);
        var stored = Assert.Single(await _client.ListAsync(MemoryScopeIds.ForUser(user)));
        Assert.Equal("trip-planner", stored.Metadata["app"].GetString());
    }

    [Fact]
    public void The_functions_describe_themselves_to_a_model_and_take_no_scope()
    {
        var kernel = KernelFor(TestScopes.NewUser());
        var plugin = kernel.Plugins["memory"];

        Assert.Equal(["forget", "list", "recall", "remember"], plugin.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var function in plugin)
        {
            Assert.True(function.Description.Length > 60, function.Name);
            foreach (var parameter in function.Metadata.Parameters)
            {
                Assert.False(string.IsNullOrWhiteSpace(parameter.Description), $"{function.Name}.{parameter.Name}");
                Assert.DoesNotContain(parameter.Name, (string[])["user_id", "userId", "agent_id", "agentId", "run_id", "runId", "scope"]);
            }
        }

        Assert.Equal(["fact"], plugin["remember"].Metadata.Parameters.Select(p => p.Name));
        Assert.True(plugin["remember"].Metadata.Parameters[0].IsRequired);
        Assert.Equal(["query", "maxResults"], plugin["recall"].Metadata.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void A_plugin_without_a_scope_is_refused()
    {
        var refused = Assert.Throws<ArgumentException>(() => new MemoryPlugin(_client, new MemoryScopeIds(UserId: "  ")));
        Assert.Contains("scope", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_server_error_reaches_the_caller_as_the_typed_exception()
    {
        var kernel = KernelFor(TestScopes.NewUser());
        var refused = await Assert.ThrowsAsync<MemoryApiValidationException>(() =>
            kernel.InvokeAsync("memory", "remember", new() { ["fact"] = "   " }));
        Assert.Equal(MemoryApiErrorKind.Validation, refused.Kind);
    }
}
