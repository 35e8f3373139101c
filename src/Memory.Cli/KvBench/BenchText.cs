using Memory.Inference.Tokenization;

namespace Memory.Cli.KvBench;

/// <summary>
/// Validation text as one token stream: the documents of a corpus file (tools/corpus/prepare.py's valid.txt, documents
/// separated by a record separator line) tokenized and joined with the end-of-text token, as the demo model was trained.
/// </summary>
internal static class BenchText
{
    private const string DocumentSeparator = "\n\n\u001e\n\n";

    public static int[] Load(string path, HfTokenizer tokenizer, int endOfText, int maxTokens)
    {
        if (!File.Exists(path))
        {
            throw new Hosting.CliFailureException($"--text: file not found: {path} (make it with tools/corpus/prepare.py --out DIR; it writes DIR/valid.txt)");
        }

        var tokens = new List<int>();
        foreach (var document in File.ReadAllText(path).Split(DocumentSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            tokens.AddRange(tokenizer.Encode(document.Trim()));
            tokens.Add(endOfText);
            if (tokens.Count >= maxTokens)
            {
                break;
            }
        }

        return tokens.Take(maxTokens).ToArray();
    }
}
