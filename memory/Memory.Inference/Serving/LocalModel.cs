using System.Text.Json;
using Memory.Inference.Chat;
using Memory.Inference.Decoding;
using Memory.Inference.Models;
using Memory.Inference.Tokenization;
using Microsoft.Extensions.Logging;

namespace Memory.Inference.Serving;

/// <summary>
/// A model served by this process: the decoder behind its generation loop, the tokenizer, the chat template and the
/// tokens that end a turn. One instance per process; it owns the decoder and the loop.
/// </summary>
public sealed class LocalModel : IAsyncDisposable
{
    private readonly LlamaDecoder _decoder;

    private LocalModel(string name, string directory, LlamaDecoder decoder, HfTokenizer tokenizer, ChatTemplate? template, IReadOnlySet<int> stopTokens, GenerationScheduler scheduler, int defaultMaxTokens)
    {
        Name = name;
        Directory = directory;
        _decoder = decoder;
        Tokenizer = tokenizer;
        Template = template;
        StopTokens = stopTokens;
        Scheduler = scheduler;
        DefaultMaxTokens = defaultMaxTokens;
    }

    /// <summary>The id clients address it by.</summary>
    public string Name { get; }

    public string Directory { get; }

    public HfTokenizer Tokenizer { get; }

    /// <summary>The chat template; null when the model has none (a base model): chat requests are then refused.</summary>
    public ChatTemplate? Template { get; }

    /// <summary>End-of-sequence ids of config.json and generation_config.json, and the template's end-of-turn token.</summary>
    public IReadOnlySet<int> StopTokens { get; }

    public GenerationScheduler Scheduler { get; }

    public ModelIdentity Identity => _decoder.Identity;

    public ModelConfig Config => _decoder.Config;

    public int DefaultMaxTokens { get; }

    /// <summary>Loads the weights onto the configured accelerator and starts the generation loop.</summary>
    /// <exception cref="ModelLoadException">A file is missing or the architecture is not supported (named).</exception>
    public static LocalModel Open(DecoderOptions decoderOptions, LocalModelOptions options, GenerationSchedulerOptions schedulerOptions, IKvPrefixCache? cache, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(decoderOptions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        // A relative path is relative to the process's working directory; errors name the full path so that is visible.
        string directory = Path.GetFullPath(decoderOptions.ModelDirectory ?? throw new ModelLoadException("Decoder:ModelDirectory is not set"));
        decoderOptions = new DecoderOptions
        {
            ModelDirectory = directory,
            Accelerator = decoderOptions.Accelerator,
            KvBlockSize = decoderOptions.KvBlockSize,
            KvCacheTokens = decoderOptions.KvCacheTokens,
            MaxBatchTokens = decoderOptions.MaxBatchTokens,
            MaxSequences = decoderOptions.MaxSequences,
        };
        var tokenizer = HfTokenizer.Load(Path.Combine(directory, "tokenizer.json"));
        var template = LoadTemplate(directory, options.ChatTemplatePath);
        var decoder = LlamaDecoder.Open(decoderOptions);
        try
        {
            if (cache is not null && cache.BlockSize != decoder.KvBlockSize)
            {
                throw new ModelLoadException($"KvCache:BlockSize {cache.BlockSize} differs from Decoder:KvBlockSize {decoder.KvBlockSize}; set them equal to reuse KV blocks");
            }

            var scheduler = new GenerationScheduler(decoder, decoder, cache, schedulerOptions, loggers.CreateLogger<GenerationScheduler>());
            string name = string.IsNullOrWhiteSpace(options.Name) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))) : options.Name;
            var stops = StopTokensOf(directory, decoder.Config, tokenizer);
            loggers.CreateLogger<LocalModel>().LogInformation(
                "Local model {Name} loaded from {Directory} on {Accelerator}: {Layers} layers, vocabulary {Vocab}, KV cache of {Blocks} blocks × {BlockSize} tokens, prefix cache {Cache}",
                name, directory, decoder.Accelerator.AcceleratorType, decoder.Config.NumLayers, decoder.Config.VocabSize, decoder.Capacity.KvBlocks, decoder.KvBlockSize, cache is null ? "off" : "on");
            return new LocalModel(name, directory, decoder, tokenizer, template, stops, scheduler, options.DefaultMaxTokens);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>The prompt tokens of a conversation, rendered with the chat template.</summary>
    /// <exception cref="ChatTemplateException">No template, or the template refused the conversation (its own message).</exception>
    public int[] EncodeChat(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
    {
        var template = Template ?? throw new ChatTemplateException($"model {Name} has no chat template (tokenizer_config.json chat_template); set LocalModel:ChatTemplatePath or send plain text");
        return Tokenizer.Encode(template.Render(messages, addGenerationPrompt)).ToArray();
    }

    public int[] Encode(string text) => Tokenizer.Encode(text, addBos: true).ToArray();

    public async ValueTask DisposeAsync()
    {
        await Scheduler.DisposeAsync();
        _decoder.Dispose();
    }

    private static ChatTemplate? LoadTemplate(string directory, string? overridePath)
    {
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            if (!File.Exists(overridePath))
            {
                throw new ModelLoadException($"LocalModel:ChatTemplatePath '{overridePath}' does not exist");
            }

            return ChatTemplate.Parse(File.ReadAllText(overridePath));
        }

        string config = Path.Combine(directory, "tokenizer_config.json");
        return File.Exists(config) ? ChatTemplate.FromTokenizerConfig(config) : null;
    }

    private static HashSet<int> StopTokensOf(string directory, ModelConfig config, HfTokenizer tokenizer)
    {
        var stops = new HashSet<int>(config.EosTokenIds);
        string generation = Path.Combine(directory, "generation_config.json");
        if (File.Exists(generation))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(generation));
            if (document.RootElement.TryGetProperty("eos_token_id", out var eos))
            {
                foreach (var id in eos.ValueKind == JsonValueKind.Array ? eos.EnumerateArray().ToArray() : [eos])
                {
                    if (id.ValueKind == JsonValueKind.Number)
                    {
                        stops.Add(id.GetInt32());
                    }
                }
            }
        }

        // Chat models end a turn with a token of their own (ChatML, Llama 3, Phi and the demo model's formats).
        foreach (var endOfTurn in new[] { "<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>" })
        {
            if (tokenizer.SpecialTokens.TryGetValue(endOfTurn, out int id))
            {
                stops.Add(id);
            }
        }

        return stops;
    }
}
