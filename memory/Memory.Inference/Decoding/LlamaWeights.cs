using ILGPU.Runtime;
using Memory.Inference.Models;
using Memory.Inference.Safetensors;

namespace Memory.Inference.Decoding;

/// <summary>All tensors of a Llama-family model on the accelerator, checked against the config by name and shape.</summary>
public sealed class LlamaWeights : IDisposable
{
    private LlamaWeights(DeviceTensor embedding, IReadOnlyList<LayerWeights> layers, DeviceTensor finalNorm, DeviceTensor lmHead)
    {
        Embedding = embedding;
        Layers = layers;
        FinalNorm = finalNorm;
        LmHead = lmHead;
    }

    public DeviceTensor Embedding { get; }

    public IReadOnlyList<LayerWeights> Layers { get; }

    public DeviceTensor FinalNorm { get; }

    /// <summary>The output projection; the embedding itself when the model ties them.</summary>
    public DeviceTensor LmHead { get; }

    public long Bytes => Embedding.Bytes + FinalNorm.Bytes + Layers.Sum(l => l.All.Sum(t => t.Bytes))
        + (ReferenceEquals(LmHead, Embedding) ? 0 : LmHead.Bytes);

    public static LlamaWeights Load(Accelerator accelerator, SafetensorsCheckpoint checkpoint, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(config);
        var loaded = new List<IDisposable>();
        DeviceTensor Up(string name, params long[] shape)
        {
            var tensor = DeviceTensor.Upload(accelerator, checkpoint.Require(name), shape);
            loaded.Add(tensor);
            return tensor;
        }

        DeviceTensor? Bias(bool expected, string name, long size)
        {
            var found = FindBias(expected, name);
            if (found is null)
            {
                return null;
            }

            var tensor = DeviceTensor.Upload(accelerator, found, size);
            loaded.Add(tensor);
            return tensor;
        }

        SafetensorsTensor? FindBias(bool expected, string name) =>
            checkpoint.Find(name) ?? (expected ? throw new ModelLoadException($"tensor '{name}' is missing from the checkpoint in '{checkpoint.Directory}' (the config asks for a bias)") : null);

        DeviceTensor Stacked(string[] names, long[] rows, long columns)
        {
            var tensor = DeviceTensor.UploadStacked(accelerator, names.Select(checkpoint.Require).ToArray(), rows, columns);
            loaded.Add(tensor);
            return tensor;
        }

        DeviceTensor? StackedBias(bool expected, string[] names, long[] rows)
        {
            var parts = names.Select(name => FindBias(expected, name)).ToArray();
            if (parts.All(p => p is null))
            {
                return null;
            }

            var tensor = DeviceTensor.UploadStacked(accelerator, parts, rows, 1);
            loaded.Add(tensor);
            return tensor;
        }

        try
        {
            long h = config.HiddenSize, i = config.IntermediateSize, q = config.QDim, kv = config.KvDim;
            var embedding = Up("model.embed_tokens.weight", config.VocabSize, h);
            var layers = new List<LayerWeights>();
            for (int l = 0; l < config.NumLayers; l++)
            {
                string p = $"model.layers.{l}.";
                layers.Add(new LayerWeights
                {
                    InputNorm = Up(p + "input_layernorm.weight", h),
                    Qkv = Stacked([p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"], [q, kv, kv], h),
                    QkvBias = StackedBias(config.QkvBias, [p + "self_attn.q_proj.bias", p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias"], [q, kv, kv]),
                    O = Up(p + "self_attn.o_proj.weight", h, q),
                    OBias = Bias(config.OutputBias, p + "self_attn.o_proj.bias", h),
                    PostAttentionNorm = Up(p + "post_attention_layernorm.weight", h),
                    GateUp = Stacked([p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"], [i, i], h),
                    GateUpBias = StackedBias(config.MlpBias, [p + "mlp.gate_proj.bias", p + "mlp.up_proj.bias"], [i, i]),
                    Down = Up(p + "mlp.down_proj.weight", h, i),
                    DownBias = Bias(config.MlpBias, p + "mlp.down_proj.bias", h),
                });
            }

            var finalNorm = Up("model.norm.weight", h);
            DeviceTensor lmHead = checkpoint.Find("lm_head.weight") is not null || !config.TieWordEmbeddings
                ? Up("lm_head.weight", config.VocabSize, h)
                : embedding;
            return new LlamaWeights(embedding, layers, finalNorm, lmHead);
        }
        catch
        {
            foreach (var item in loaded)
            {
                item.Dispose();
            }

            throw;
        }
    }

    public void Dispose()
    {
        Embedding.Dispose();
        FinalNorm.Dispose();
        if (!ReferenceEquals(LmHead, Embedding))
        {
            LmHead.Dispose();
        }

        foreach (var layer in Layers)
        {
            layer.Dispose();
        }
    }
}
