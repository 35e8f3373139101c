using System.Text;
using Microsoft.ML.Tokenizers;

namespace Memory.Inference.Tokenization;

/// <summary>A tokenizer.json "NFC"/"NFKC"/"NFD"/"NFKD" normalizer, which Microsoft.ML.Tokenizers does not ship.</summary>
public sealed class UnicodeFormNormalizer(NormalizationForm form) : Normalizer
{
    public NormalizationForm Form { get; } = form;

    public override string Normalize(string original) => (original ?? "").Normalize(Form);

    public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(Form);
}
