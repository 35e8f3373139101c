// The README's "Semantic Kernel" sample, compiled and run by MemoryAgentSampleTests.
using System.ClientModel;
using Memory.Client;
using Memory.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using OpenAI;

namespace Memory.Client.Tests.Sample;

public static class MemoryAgentSample
{
    /// <summary>One turn of an assistant that remembers: answers <paramref name="userMessage"/> for <paramref name="userId"/>.</summary>
    public static async Task<string> AskAsync(
        Uri memoryServer, string memoryApiKey, Uri llmEndpoint, string llmApiKey, string model,
        string userId, string userMessage, CancellationToken cancellationToken = default)
    {
        // README:begin
        var builder = Kernel.CreateBuilder();

        // Any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, LM Studio, Ollama's /v1); the kernel
        // runs the tool calls the model makes.
        IChatClient llm = new OpenAIClient(new ApiKeyCredential(llmApiKey), new OpenAIClientOptions { Endpoint = llmEndpoint })
            .GetChatClient(model).AsIChatClient()
            .AsBuilder().UseKernelFunctionInvocation().Build();
        builder.Services.AddSingleton(llm.AsChatCompletionService());

        // The memory service, and whose memories this kernel may touch: fixed here, never chosen by the model.
        builder.Services.AddMemoryClient(options =>
        {
            options.BaseAddress = memoryServer;
            options.ApiKey = memoryApiKey;
        });
        var scope = MemoryScopeIds.ForUser(userId);
        builder.AddMemoryPlugin(scope);     // remember / recall / forget / list as tools
        builder.AddMemoryInjection(scope);  // relevant memories put in front of every prompt
        var kernel = builder.Build();

        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        var answer = await kernel.InvokePromptAsync(
            """
            <message role="system">You are a helpful assistant with long-term memory. Save what the user wants kept with the memory tools.</message>
            <message role="user">{{$question}}</message>
            """,
            new KernelArguments(settings) { ["question"] = userMessage },
            cancellationToken: cancellationToken);
        // README:end
        return answer.ToString();
    }
}
