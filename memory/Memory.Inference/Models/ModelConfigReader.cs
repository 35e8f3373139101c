using System.Text.Json;

namespace Memory.Inference.Models;

/// <summary>Reads config.json of a Llama-family checkpoint (Llama 2/3, Mistral, Qwen2/2.5, SmolLM).</summary>
public static class ModelConfigReader
{
    /// <summary>Architectures whose forward pass this decoder implements.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];

    public static ModelConfig Read(string configPath)
    {
        if (!File.Exists(configPath))
        {
            throw new ModelLoadException($"config.json not found at '{configPath}'");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(configPath));
        return Parse(document.RootElement, configPath);
    }

    public static ModelConfig Parse(JsonElement root, string source)
    {
        string architecture = root.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0
            ? archs[0].GetString() ?? ""
            : root.TryGetProperty("model_type", out var mt) ? mt.GetString() ?? "" : "";
        if (!SupportedArchitectures.Contains(architecture))
        {
            throw new ModelLoadException(
                $"unsupported architecture '{architecture}' in {source}; supported: {string.Join(", ", SupportedArchitectures)}");
        }

        bool qwen = architecture == "Qwen2ForCausalLM";
        int hidden = RequiredInt(root, "hidden_size", source);
        int heads = RequiredInt(root, "num_attention_heads", source);
        int kvHeads = OptionalInt(root, "num_key_value_heads") ?? heads;
        int headDim = OptionalInt(root, "head_dim") ?? hidden / heads;
        if (heads % kvHeads != 0)
        {
            throw new ModelLoadException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        }

        var (theta, scaling) = ReadRope(root, source);
        bool attentionBias = OptionalBool(root, "attention_bias") ?? false;
        int? slidingWindow = null;
        int slidingFrom = 0;
        if (architecture == "MistralForCausalLM")
        {
            slidingWindow = OptionalInt(root, "sliding_window");
        }
        else if (qwen && (OptionalBool(root, "use_sliding_window") ?? false))
        {
            // Qwen2 slides only from layer max_window_layers on (transformers' default 28), attending fully below it.
            slidingWindow = OptionalInt(root, "sliding_window");
            slidingFrom = OptionalInt(root, "max_window_layers") ?? 28;
        }

        return new ModelConfig
        {
            Architecture = architecture,
            HiddenSize = hidden,
            IntermediateSize = RequiredInt(root, "intermediate_size", source),
            NumLayers = RequiredInt(root, "num_hidden_layers", source),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = RequiredInt(root, "vocab_size", source),
            RmsNormEps = (float)(OptionalDouble(root, "rms_norm_eps") ?? 1e-6),
            RopeTheta = theta,
            RopeScaling = scaling,
            TieWordEmbeddings = OptionalBool(root, "tie_word_embeddings") ?? false,
            QkvBias = qwen || attentionBias,
            OutputBias = !qwen && attentionBias,
            MlpBias = OptionalBool(root, "mlp_bias") ?? false,
            MaxPositionEmbeddings = OptionalInt(root, "max_position_embeddings") ?? 4096,
            SlidingWindow = slidingWindow is > 0 ? slidingWindow : null,
            SlidingWindowFirstLayer = slidingFrom,
            BosTokenId = OptionalInt(root, "bos_token_id"),
            EosTokenIds = ReadIds(root, "eos_token_id"),
        };
    }

    private static (double Theta, RopeScaling Scaling) ReadRope(JsonElement root, string source)
    {
        // transformers 5 writes "rope_parameters" {rope_type, rope_theta, factor, ...}; 4.x writes rope_theta + rope_scaling.
        JsonElement? parameters = null;
        if (root.TryGetProperty("rope_parameters", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            parameters = p;
        }
        else if (root.TryGetProperty("rope_scaling", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            parameters = s;
        }

        double theta = OptionalDouble(root, "rope_theta")
            ?? (parameters is { } pp ? OptionalDouble(pp, "rope_theta") : null)
            ?? 10000.0;
        if (parameters is not { } scaling)
        {
            return (theta, RopeScaling.None);
        }

        string type = (scaling.TryGetProperty("rope_type", out var rt) ? rt.GetString() : null)
            ?? (scaling.TryGetProperty("type", out var t) ? t.GetString() : null)
            ?? "default";
        return type switch
        {
            "default" => (theta, RopeScaling.None),
            "linear" => (theta, new RopeScaling("linear", OptionalDouble(scaling, "factor") ?? 1.0)),
            "llama3" => (theta, new RopeScaling(
                "llama3",
                OptionalDouble(scaling, "factor") ?? throw new ModelLoadException($"{source}: llama3 rope scaling without 'factor'"),
                OptionalDouble(scaling, "low_freq_factor") ?? 1.0,
                OptionalDouble(scaling, "high_freq_factor") ?? 4.0,
                OptionalInt(scaling, "original_max_position_embeddings") ?? 8192)),
            _ => throw new ModelLoadException($"{source}: unsupported rope scaling type '{type}' (supported: default, linear, llama3)"),
        };
    }

    private static int RequiredInt(JsonElement root, string name, string source) =>
        OptionalInt(root, name) ?? throw new ModelLoadException($"{source}: required field '{name}' is missing");

    private static int? OptionalInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? OptionalDouble(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool? OptionalBool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static int[] ReadIds(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v))
        {
            return [];
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number => [v.GetInt32()],
            JsonValueKind.Array => v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt32()).ToArray(),
            _ => [],
        };
    }
}
