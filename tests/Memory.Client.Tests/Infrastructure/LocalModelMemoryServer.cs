namespace Memory.Client.Tests.Infrastructure;

/// <summary>
/// The real server with the tiny reference model as its local model (CPU accelerator, 16-token KV blocks, a
/// ChatML-style template file, the KV cache in a fresh folder): the OpenAI endpoint for connectors to talk to.
/// </summary>
public sealed class LocalModelMemoryServer : IDisposable
{
    public const string ModelName = "tiny";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "memory-client-tests", "local-" + Guid.NewGuid().ToString("N"));

    public LocalModelMemoryServer()
    {
        Directory.CreateDirectory(_directory);
        string template = Path.Combine(_directory, "chat.jinja");
        File.WriteAllText(template, "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
        Factory = new MemoryServerFactory(new Dictionary<string, string>
        {
            ["Decoder:ModelDirectory"] = Path.Combine(AppContext.BaseDirectory, "Reference", "tiny-llama3-bf16"),
            ["Decoder:Accelerator"] = "Cpu",
            ["Decoder:KvBlockSize"] = "16",
            ["Decoder:KvCacheTokens"] = "2048",
            ["Decoder:MaxBatchTokens"] = "64",
            ["LocalModel:Name"] = ModelName,
            ["LocalModel:ChatTemplatePath"] = template,
            ["LocalModel:DefaultMaxTokens"] = "6",
            ["KvCache:BlockSize"] = "16",
            ["KvCache:DiskPath"] = Path.Combine(_directory, "kv"),
            ["KvCache:Accelerator"] = "Cpu",
        }).Start();
    }

    public MemoryServerFactory Factory { get; }

    /// <summary>The OpenAI-compatible base address (…/v1/).</summary>
    public Uri OpenAIEndpoint => new(Factory.BaseAddress, "v1/");

    public void Dispose()
    {
        Factory.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A background KV write may still hold a file; the temp folder is cleaned eventually.
        }
    }
}
