using Memory.Inference.Models;
using Memory.Inference.Tokenization;

namespace Memory.Inference.Tests;

public sealed class HfTokenizerTests
{
    [Theory]
    [MemberData(nameof(Cases))]
    public void Encodes_like_the_tokenizers_library_and_round_trips(string name)
    {
        var reference = ReferenceCase.Load(name);
        var tokenizer = HfTokenizer.Load(Path.Combine(reference.Directory, "tokenizer.json"));
        foreach (var prompt in reference.Prompts)
        {
            Assert.Equal(prompt.TextIds, tokenizer.Encode(prompt.Text));
            Assert.Equal(prompt.Text, tokenizer.Decode(prompt.TextIds));
        }
    }

    [Fact]
    public void Special_tokens_in_text_become_their_ids()
    {
        var tokenizer = HfTokenizer.Load(Path.Combine(ReferenceCase.Load("tiny-qwen25-fp16").Directory, "tokenizer.json"));
        var ids = tokenizer.Encode("<|im_start|>user\nhi<|im_end|>");
        Assert.Equal(tokenizer.SpecialTokens["<|im_start|>"], ids[0]);
        Assert.Equal(tokenizer.SpecialTokens["<|im_end|>"], ids[^1]);
    }

    [Fact]
    public void Refuses_a_tokenizer_model_it_cannot_run()
    {
        string path = Path.Combine(Path.GetTempPath(), $"wordpiece-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"model":{"type":"WordPiece","vocab":{}},"pre_tokenizer":null}""");
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => HfTokenizer.Load(path));
            Assert.Contains("WordPiece", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string> Cases() => new(ReferenceCase.Names());
}
