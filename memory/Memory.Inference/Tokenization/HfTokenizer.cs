using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Memory.Inference.Models;
using Microsoft.ML.Tokenizers;

namespace Memory.Inference.Tokenization;

/// <summary>
/// A Hugging Face byte-level BPE tokenizer.json (GPT-2, Llama 3, Qwen2, SmolLM style) run by Microsoft.ML.Tokenizers.
/// Microsoft.ML.Tokenizers 2.0.1 has no tokenizer.json loader, so this reads the file and builds its
/// <see cref="BpeTokenizer"/> from the vocabulary, the merges, the added (special) tokens and the pre-tokenizer's split
/// regex. Supported pre-tokenizers: ByteLevel (use_regex, no prefix space) and Sequence[Split(Regex), ByteLevel];
/// anything else is refused with an error naming it, rather than tokenizing differently from the model's training.
/// </summary>
public sealed class HfTokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private HfTokenizer(BpeTokenizer tokenizer, IReadOnlyDictionary<string, int> specialTokens, int? bosTokenId)
    {
        Tokenizer = tokenizer;
        SpecialTokens = specialTokens;
        BosTokenId = bosTokenId;
    }

    public BpeTokenizer Tokenizer { get; }

    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The token the post-processor puts first (Llama 3's &lt;|begin_of_text|&gt;), if any.</summary>
    public int? BosTokenId { get; }

    public static HfTokenizer Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"tokenizer.json not found at '{path}'");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var model = root.GetProperty("model");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type != "BPE")
        {
            throw new ModelLoadException($"'{path}': tokenizer model '{type}' is not supported (byte-level BPE only)");
        }

        var vocabulary = model.GetProperty("vocab").EnumerateObject().Select(p => new KeyValuePair<string, int>(p.Name, p.Value.GetInt32())).ToList();
        var merges = model.GetProperty("merges").EnumerateArray().Select(m => m.ValueKind == JsonValueKind.Array
            ? $"{m[0].GetString()} {m[1].GetString()}"
            : m.GetString() ?? "").ToList();
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added))
        {
            foreach (var token in added.EnumerateArray())
            {
                specials[token.GetProperty("content").GetString() ?? ""] = token.GetProperty("id").GetInt32();
            }
        }

        string pattern = SplitPattern(root.GetProperty("pre_tokenizer"), path);
        var options = new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), specials),
            Normalizer = ReadNormalizer(root, path),
        };
        return new HfTokenizer(BpeTokenizer.Create(options), specials, ReadBos(root, specials));
    }

    /// <summary>Token ids of <paramref name="text"/>; special-token strings in the text map to their ids.</summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        var ids = Tokenizer.EncodeToIds(text);
        if (addBos && BosTokenId is int bos)
        {
            return [bos, .. ids];
        }

        return ids;
    }

    public string Decode(IEnumerable<int> ids) => Tokenizer.Decode(ids);

    private static string SplitPattern(JsonElement pre, string path)
    {
        string type = pre.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type == "ByteLevel")
        {
            RefusePrefixSpace(pre, path);
            if (pre.TryGetProperty("use_regex", out var useRegex) && useRegex.ValueKind == JsonValueKind.False)
            {
                throw new ModelLoadException($"'{path}': a ByteLevel pre-tokenizer without a split regex is not supported");
            }

            return Gpt2Pattern;
        }

        if (type == "Sequence")
        {
            var steps = pre.GetProperty("pretokenizers").EnumerateArray().ToList();
            if (steps.Count == 2 && steps[0].GetProperty("type").GetString() == "Split" && steps[1].GetProperty("type").GetString() == "ByteLevel")
            {
                RefusePrefixSpace(steps[1], path);
                var split = steps[0];
                string behavior = split.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "";
                bool invert = split.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                if (behavior != "Isolated" || invert || !split.GetProperty("pattern").TryGetProperty("Regex", out var regex))
                {
                    throw new ModelLoadException($"'{path}': only an isolated, non-inverted Split(Regex) before ByteLevel is supported");
                }

                return regex.GetString() ?? "";
            }
        }

        throw new ModelLoadException($"'{path}': pre-tokenizer '{type}' is not supported (ByteLevel, or Sequence[Split(Regex), ByteLevel])");
    }

    private static void RefusePrefixSpace(JsonElement byteLevel, string path)
    {
        if (byteLevel.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
        {
            throw new ModelLoadException($"'{path}': ByteLevel add_prefix_space=true is not supported");
        }
    }

    private static UnicodeFormNormalizer? ReadNormalizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string type = normalizer.GetProperty("type").GetString() ?? "";
        return type switch
        {
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            _ => throw new ModelLoadException($"'{path}': normalizer '{type}' is not supported"),
        };
    }

    private static int? ReadBos(JsonElement root, Dictionary<string, int> specials)
    {
        // A TemplateProcessing post-processor whose single-sequence template starts with a special token adds that token.
        if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var candidates = post.GetProperty("type").GetString() == "Sequence" && post.TryGetProperty("processors", out var processors)
            ? processors.EnumerateArray().ToList()
            : [post];
        foreach (var processor in candidates)
        {
            if (processor.GetProperty("type").GetString() == "TemplateProcessing" && processor.TryGetProperty("single", out var single)
                && single.GetArrayLength() > 0 && single[0].TryGetProperty("SpecialToken", out var special))
            {
                string id = special.GetProperty("id").GetString() ?? "";
                return specials.TryGetValue(id, out int value) ? value : null;
            }
        }

        return null;
    }
}
