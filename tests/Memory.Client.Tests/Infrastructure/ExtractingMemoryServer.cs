namespace Memory.Client.Tests.Infrastructure;

/// <summary>The real server with infer=true switched on, its chat model being a scripted OpenAI-compatible server.</summary>
public sealed class ExtractingMemoryServer : IAsyncLifetime
{
    internal ScriptedChatServer Llm { get; private set; } = null!;

    public MemoryServerFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Llm = await ScriptedChatServer.StartAsync();
        Factory = new MemoryServerFactory(new Dictionary<string, string>
        {
            ["Extraction:Provider"] = "OpenAI",
            ["Extraction:Endpoint"] = Llm.Endpoint.ToString(),
            ["Extraction:Model"] = "scripted-model",
            ["Extraction:ApiKey"] = "sk-test",
            ["Extraction:BackgroundRetryDelaySeconds"] = "0",
            ["Extraction:BackgroundAttempts"] = "1",
        }).Start();
    }

    public async Task DisposeAsync()
    {
        Factory.Dispose();
        await Llm.DisposeAsync();
    }
}
