using System.Text.Json;
using Memory.Inference.Models;

namespace Memory.Inference.Tests;

public sealed class ModelConfigReaderTests
{
    [Fact]
    public void Reads_transformers_5_rope_parameters_with_llama3_scaling()
    {
        var config = ModelConfigReader.Read(Path.Combine(ReferenceCase.Load("tiny-llama3-bf16").Directory, "config.json"));
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.Equal((3, 1, 16, 48), (config.NumHeads, config.NumKvHeads, config.HeadDim, config.HiddenSize));
        Assert.Equal(500000.0, config.RopeTheta);
        Assert.Equal(new RopeScaling("llama3", 8.0, 1.0, 4.0, 64), config.RopeScaling);
        Assert.False(config.QkvBias);
        Assert.False(config.TieWordEmbeddings);
    }

    [Fact]
    public void Qwen2_has_qkv_bias_and_tied_embeddings()
    {
        var config = ModelConfigReader.Read(Path.Combine(ReferenceCase.Load("tiny-qwen25-fp16").Directory, "config.json"));
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(1000000.0, config.RopeTheta);
        Assert.Null(config.SlidingWindow);
    }

    [Theory]
    [InlineData("""{"architectures":["MistralForCausalLM"],"sliding_window":4096}""", 4096, 0)]
    [InlineData("""{"architectures":["MistralForCausalLM"],"sliding_window":null}""", null, 0)]
    [InlineData("""{"architectures":["Qwen2ForCausalLM"],"use_sliding_window":true,"sliding_window":32768,"max_window_layers":21}""", 32768, 21)]
    [InlineData("""{"architectures":["Qwen2ForCausalLM"],"use_sliding_window":false,"sliding_window":32768}""", null, 0)]
    public void Reads_the_sliding_window_and_the_layers_it_applies_to(string fields, int? window, int firstLayer)
    {
        string json = """{"hidden_size":64,"intermediate_size":128,"num_hidden_layers":24,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"""
            + fields[1..];
        using var document = JsonDocument.Parse(json);
        var config = ModelConfigReader.Parse(document.RootElement, "inline");
        Assert.Equal(window, config.SlidingWindow);
        Assert.Equal(firstLayer, config.SlidingWindowFirstLayer);
    }

    [Fact]
    public void Reads_transformers_4_rope_theta_and_rope_scaling()
    {
        const string json = """
            {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
             "num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"rope_theta":10000.0,
             "rope_scaling":{"type":"linear","factor":2.0},"eos_token_id":[1,2]}
            """;
        using var document = JsonDocument.Parse(json);
        var config = ModelConfigReader.Parse(document.RootElement, "inline");
        Assert.Equal(new RopeScaling("linear", 2.0), config.RopeScaling);
        Assert.Equal(16, config.HeadDim);
        Assert.Equal([1, 2], config.EosTokenIds);
    }

    [Fact]
    public void Names_an_unsupported_architecture()
    {
        using var document = JsonDocument.Parse("""{"architectures":["GPTNeoXForCausalLM"],"hidden_size":8}""");
        var error = Assert.Throws<ModelLoadException>(() => ModelConfigReader.Parse(document.RootElement, "inline"));
        Assert.Contains("GPTNeoXForCausalLM", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_an_unsupported_rope_scaling()
    {
        using var document = JsonDocument.Parse("""
            {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
             "num_attention_heads":4,"vocab_size":100,"rope_scaling":{"rope_type":"yarn","factor":4.0}}
            """);
        var error = Assert.Throws<ModelLoadException>(() => ModelConfigReader.Parse(document.RootElement, "inline"));
        Assert.Contains("yarn", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rope_frequencies_match_transformers(string name)
    {
        var reference = ReferenceCase.Load(name);
        var config = ModelConfigReader.Read(Path.Combine(reference.Directory, "config.json"));
        var ours = RopeFrequencies.Compute(config.HeadDim, config.RopeTheta, config.RopeScaling);
        Assert.Equal(reference.InvFreq.Length, ours.Length);
        for (int j = 0; j < ours.Length; j++)
        {
            Assert.True(Math.Abs(ours[j] - reference.InvFreq[j]) <= 2e-7 * reference.InvFreq[j], $"j={j}: {ours[j]} vs {reference.InvFreq[j]}");
        }
    }

    public static TheoryData<string> Cases() => new(ReferenceCase.Names());
}
