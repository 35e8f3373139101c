namespace Memory.Server.Tests.Infrastructure;

/// <summary>
/// The server with the tiny reference model as its local model (CPU accelerator, 16-token KV blocks), a ChatML-style
/// chat template file, the KV cache on a fresh directory, and two tenants' keys. Shared by the tests of a class.
/// </summary>
public class LocalModelServer : IAsyncLifetime
{
    public const string ModelName = "tiny";

    /// <summary>A ChatML-style template; the tiny model has none of its own.</summary>
    public const string Template =
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "memory-server-tests", Guid.NewGuid().ToString("N"));

    internal TestKeys Keys { get; } = new();

    internal ServerHost Host { get; private set; } = null!;

    public string KvDirectory => Path.Combine(_directory, "kv");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        string template = Path.Combine(_directory, "chat.jinja");
        await File.WriteAllTextAsync(template, Template);
        var settings = Keys.Settings(new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = Path.Combine(_directory, "memory.db"),
            ["Decoder:ModelDirectory"] = Path.Combine(AppContext.BaseDirectory, "Reference", "tiny-llama3-bf16"),
            ["Decoder:Accelerator"] = "Cpu",
            ["Decoder:KvBlockSize"] = "16",
            ["Decoder:KvCacheTokens"] = "2048",
            ["Decoder:MaxBatchTokens"] = "64",
            ["LocalModel:Name"] = ModelName,
            ["LocalModel:ChatTemplatePath"] = template,
            ["LocalModel:DefaultMaxTokens"] = "8",
            ["KvCache:BlockSize"] = "16",
            ["KvCache:DiskPath"] = KvDirectory,
            ["KvCache:Accelerator"] = "Cpu",
        });
        Configure(settings);
        Host = await ServerHost.StartAsync(settings);
    }

    /// <summary>Last word on the host's settings.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing background write; the temp folder is cleaned later.
        }
    }
}
