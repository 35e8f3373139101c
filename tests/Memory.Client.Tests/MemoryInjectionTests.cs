using System.ClientModel;
using Memory.Client.Tests.Infrastructure;
using Memory.SemanticKernel;
using Memory.SemanticKernel.Injection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenAI;

namespace Memory.Client.Tests;

/// <summary>Automatic injection: what the model is sent, checked on the scripted chat server's recorded requests.</summary>
public sealed class MemoryInjectionTests(MemoryServer server) : IClassFixture<MemoryServer>
{
    private readonly MemoryClient _client = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);

    private async Task RememberAsync(string user, params string[] facts)
    {
        foreach (var fact in facts)
        {
            await _client.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User(fact)], UserId = user, Infer = false });
        }
    }

    private static IChatCompletionService ChatCompletionOn(ScriptedChatServer llm)
    {
        IChatClient chat = new OpenAIClient(new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = llm.Endpoint })
            .GetChatClient("scripted-model").AsIChatClient();
        return chat.AsChatCompletionService();
    }

    private Kernel KernelWithInjection(ScriptedChatServer llm, string user, MemoryInjectionOptions? options = null)
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(ChatCompletionOn(llm));
        builder.Services.AddMemoryClient(o =>
        {
            o.BaseAddress = server.Factory.BaseAddress;
            o.ApiKey = server.Factory.AlphaKey;
        });
        builder.AddMemoryInjection(MemoryScopeIds.ForUser(user), options);
        return builder.Build();
    }

    [Fact]
    public async Task A_plain_prompt_gets_the_users_relevant_memories_in_a_system_message_first()
    {
        var alice = TestScopes.NewUser("alice");
        var bob = TestScopes.NewUser("bob");
        await RememberAsync(alice, "Alice is allergic to peanuts.", "Alice's partner is called Sam.");
        await RememberAsync(bob, "Bob loves peanut butter snacks.");
        await using var llm = await ScriptedChatServer.StartAsync(ScriptedReply.Say("Try salted popcorn."));

        var kernel = KernelWithInjection(llm, alice, new MemoryInjectionOptions { MaxMemories = 1 });
        var answer = await kernel.InvokePromptAsync("Which snack with peanuts should I bring to the movie? Prices < 5 & cheap");

        Assert.Equal("Try salted popcorn.", answer.ToString());
        var sent = llm.MessagesOf(0);
        Assert.Equal(2, sent.Count);
        Assert.Equal("system", sent[0].Role);
        Assert.StartsWith(RelevantMemoriesHeading, sent[0].Content, StringComparison.Ordinal);
        Assert.Contains("Alice is allergic to peanuts.", sent[0].Content, StringComparison.Ordinal);
        Assert.DoesNotContain("Sam", sent[0].Content, StringComparison.Ordinal);
        Assert.DoesNotContain("Bob", sent[0].Content, StringComparison.Ordinal);
        Assert.Equal(("user", "Which snack with peanuts should I bring to the movie? Prices < 5 & cheap"), sent[1]);
    }

    [Fact]
    public async Task A_chat_prompt_keeps_its_messages_and_the_query_is_the_last_user_message()
    {
        var user = TestScopes.NewUser();
        await RememberAsync(user, "The user's flight to Oslo leaves on 3 March.", "The user collects vinyl records.");
        await using var llm = await ScriptedChatServer.StartAsync(ScriptedReply.Say("3 March."));

        var kernel = KernelWithInjection(llm, user, new MemoryInjectionOptions { MaxMemories = 1 });
        await kernel.InvokePromptAsync(
            """
            <message role="system">You are terse.</message>
            <message role="user">I like music.</message>
            <message role="assistant">Noted.</message>
            <message role="user">{{$question}}</message>
            """,
            new KernelArguments { ["question"] = "When does my flight to Oslo leave?" });

        var sent = llm.MessagesOf(0);
        Assert.Equal(["system", "system", "user", "assistant", "user"], sent.Select(m => m.Role));
        Assert.Contains("The user's flight to Oslo leaves on 3 March.", sent[0].Content, StringComparison.Ordinal);
        Assert.DoesNotContain("vinyl", sent[0].Content, StringComparison.Ordinal);
        Assert.Equal("You are terse.", sent[1].Content);
        Assert.Equal("When does my flight to Oslo leave?", sent[4].Content);
    }

    [Fact]
    public async Task Without_memories_the_prompt_goes_out_unchanged()
    {
        var user = TestScopes.NewUser("nobody");
        await using var llm = await ScriptedChatServer.StartAsync(ScriptedReply.Say("Hello."));

        var kernel = KernelWithInjection(llm, user);
        await kernel.InvokePromptAsync("Say hello.");

        Assert.Equal([("user", "Say hello.")], llm.MessagesOf(0));
    }

    [Fact]
    public async Task Functions_the_host_leaves_out_get_no_memories()
    {
        var user = TestScopes.NewUser();
        await RememberAsync(user, "The user is a night owl.");
        await using var llm = await ScriptedChatServer.StartAsync(ScriptedReply.Say("Summary."), ScriptedReply.Say("Answer."));
        var kernel = KernelWithInjection(llm, user, new MemoryInjectionOptions { AppliesTo = f => f.PluginName != "helpers" });
        var summarize = kernel.CreateFunctionFromPrompt("Summarize: {{$text}}", functionName: "summarize");
        kernel.ImportPluginFromFunctions("helpers", [summarize]);

        await kernel.InvokeAsync("helpers", "summarize", new() { ["text"] = "the user is a night owl" });
        await kernel.InvokePromptAsync("Is the user a night owl?");

        Assert.Equal(["user"], llm.MessagesOf(0).Select(m => m.Role));
        Assert.Equal(["system", "user"], llm.MessagesOf(1).Select(m => m.Role));
    }

    [Fact]
    public async Task The_context_provider_returns_relevant_memories_as_instructions_and_can_remember_user_messages()
    {
        var user = TestScopes.NewUser();
        await RememberAsync(user, "The user's daughter is named Ines.", "The user works night shifts at a hospital.");
        var provider = new MemoryContextProvider(_client, MemoryScopeIds.ForUser(user),
            new MemoryInjectionOptions { MaxMemories = 1, RememberUserMessages = true });

        var context = await provider.ModelInvokingAsync(
            [new ChatMessage(ChatRole.Assistant, "How can I help?"), new ChatMessage(ChatRole.User, "What is my daughter's name?")]);
        Assert.StartsWith(RelevantMemoriesHeading, context.Instructions, StringComparison.Ordinal);
        Assert.Contains("Ines", context.Instructions, StringComparison.Ordinal);
        Assert.DoesNotContain("night shifts", context.Instructions, StringComparison.Ordinal);

        await provider.MessageAddingAsync("thread-1", new ChatMessage(ChatRole.User, "I adopted a dog named Pixel.") { MessageId = "m-42" });
        await provider.MessageAddingAsync("thread-1", new ChatMessage(ChatRole.Assistant, "Congratulations!"));
        var stored = await _client.ListAsync(MemoryScopeIds.ForUser(user));
        Assert.Equal(3, stored.Count);
        var pixel = Assert.Single(stored, m => m.Text == "I adopted a dog named Pixel.");
        Assert.Equal(["m-42"], pixel.SourceMessageIds);

        var nothing = await provider.ModelInvokingAsync([new ChatMessage(ChatRole.Assistant, "Anything else?")]);
        Assert.Null(nothing.Instructions);
    }

    [Fact]
    public async Task A_chat_loop_reduced_with_the_reducer_sends_memories_once_per_turn()
    {
        var user = TestScopes.NewUser();
        await RememberAsync(user, "The user's dentist appointment is on Friday at 9.", "The user's favourite tea is genmaicha.");
        await using var llm = await ScriptedChatServer.StartAsync(ScriptedReply.Say("Friday at 9."), ScriptedReply.Say("Genmaicha."));
        var chat = ChatCompletionOn(llm);
        var reducer = new MemoryChatHistoryReducer(_client, MemoryScopeIds.ForUser(user), new MemoryInjectionOptions { MaxMemories = 1 });

        var history = new ChatHistory("You are a concise assistant.");
        history.AddUserMessage("When is my dentist appointment?");
        Assert.True(await history.ReduceInPlaceAsync(reducer, CancellationToken.None));
        history.Add(await chat.GetChatMessageContentAsync(history));
        history.AddUserMessage("Which tea should I buy?");
        Assert.True(await history.ReduceInPlaceAsync(reducer, CancellationToken.None));
        Assert.False(await history.ReduceInPlaceAsync(reducer, CancellationToken.None));
        await chat.GetChatMessageContentAsync(history);

        var first = llm.MessagesOf(0);
        Assert.Equal(["system", "system", "user"], first.Select(m => m.Role));
        Assert.Contains("dentist appointment is on Friday", first[1].Content, StringComparison.Ordinal);

        var second = llm.MessagesOf(1);
        Assert.Equal(["system", "system", "user", "assistant", "user"], second.Select(m => m.Role));
        Assert.Contains("genmaicha", second[1].Content, StringComparison.Ordinal);
        Assert.DoesNotContain("dentist", second[1].Content, StringComparison.Ordinal);
        Assert.Single(second, m => m.Content.StartsWith(RelevantMemoriesHeading, StringComparison.Ordinal));
    }

    [Fact]
    public void Options_out_of_range_are_refused()
    {
        var scope = MemoryScopeIds.ForUser("u");
        Assert.Throws<ArgumentException>(() => new MemoryPromptRenderFilter(_client, scope, new MemoryInjectionOptions { MaxMemories = 0 }));
        Assert.Throws<ArgumentException>(() => new MemoryContextProvider(_client, scope, new MemoryInjectionOptions { MinScore = 1.5 }));
        Assert.Throws<ArgumentException>(() => new MemoryPromptRenderFilter(_client, new MemoryScopeIds()));
    }

    private const string RelevantMemoriesHeading = "Long-term memory: facts remembered from earlier conversations with this user";
}
