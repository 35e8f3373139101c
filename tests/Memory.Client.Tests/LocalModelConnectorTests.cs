using System.ClientModel;
using Memory.Client.Tests.Infrastructure;
using Memory.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenAI;

namespace Memory.Client.Tests;

/// <summary>
/// Off-the-shelf OpenAI connectors (the OpenAI .NET SDK through Microsoft.Extensions.AI, and Semantic Kernel on top)
/// talk to the server's own local model unchanged: plain and streaming completions, usage with cached prompt tokens,
/// and memory injection in front of the prompt.
/// </summary>
public sealed class LocalModelConnectorTests(LocalModelMemoryServer server) : IClassFixture<LocalModelMemoryServer>
{
    private IChatClient Chat() =>
        new OpenAIClient(new ApiKeyCredential(server.Factory.AlphaKey), new OpenAIClientOptions { Endpoint = server.OpenAIEndpoint })
            .GetChatClient(LocalModelMemoryServer.ModelName).AsIChatClient();

    [Fact]
    public async Task The_openai_client_gets_completions_streams_and_cached_prompt_tokens()
    {
        using var chat = Chat();
        List<ChatMessage> messages = [new(ChatRole.System, "You are a terse assistant who remembers."), new(ChatRole.User, "Hello!")];
        var options = new ChatOptions { MaxOutputTokens = 4 };

        var first = await chat.GetResponseAsync(messages, options);
        Assert.Equal(LocalModelMemoryServer.ModelName, first.ModelId);
        Assert.InRange(first.Usage!.OutputTokenCount!.Value, 0, 4);
        Assert.True(first.Usage.InputTokenCount > 32);

        var streamed = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync(messages, options))
        {
            streamed.Add(update);
        }

        // Greedy decoding: the stream spells the same answer.
        Assert.Equal(first.Text, string.Concat(streamed.Select(u => u.Text)));
        Assert.Contains(streamed, u => u.FinishReason is not null);

        // By now the first call's blocks are in the KV cache: a later call reports them as cached prompt tokens.
        long cached = 0;
        for (int attempt = 0; attempt < 20 && cached == 0; attempt++)
        {
            var again = await chat.GetResponseAsync(messages, options);
            cached = again.Usage?.CachedInputTokenCount ?? 0;
            Assert.Equal(first.Text, again.Text);
        }

        Assert.True(cached >= 16, $"cached prompt tokens: {cached}");
    }

    [Fact]
    public async Task A_semantic_kernel_agent_runs_on_the_local_model_with_memories_injected()
    {
        var memories = server.Factory.CreateMemoryClient(server.Factory.AlphaKey);
        var user = TestScopes.NewUser("local");
        await memories.AddAsync(new MemoryAddRequest { Messages = [MemoryMessage.User("I keep bees on my roof.")], UserId = user, Infer = false });

        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(Chat().AsChatCompletionService());
        builder.Services.AddMemoryClient(o =>
        {
            o.BaseAddress = server.Factory.BaseAddress;
            o.ApiKey = server.Factory.AlphaKey;
        });
        builder.AddMemoryInjection(MemoryScopeIds.ForUser(user));
        var kernel = builder.Build();

        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["max_tokens"] = 3 } };
        var answer = await kernel.InvokePromptAsync("What do I keep on my roof?", new KernelArguments(settings));

        // The tiny random model's words mean nothing; what matters is that the round trip through SK's OpenAI
        // connector, the injection filter and the local model completes with an assistant answer.
        Assert.NotNull(answer.GetValue<string>());
        var chat = answer.GetValue<ChatMessageContent>();
        Assert.Equal(AuthorRole.Assistant, chat?.Role ?? AuthorRole.Assistant);
    }
}
