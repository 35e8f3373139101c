namespace Memory.Cli.KvBench;

/// <summary>Negative log-likelihood of next tokens from rows of logits.</summary>
internal static class NextTokenLoss
{
    /// <summary>Sum over rows r of −log softmax(logits[r])[targets[r]].</summary>
    public static double Sum(ReadOnlySpan<float> logits, int vocab, ReadOnlySpan<int> targets)
    {
        double total = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            var row = logits.Slice(r * vocab, vocab);
            float max = float.NegativeInfinity;
            foreach (float x in row)
            {
                max = Math.Max(max, x);
            }

            double sum = 0;
            foreach (float x in row)
            {
                sum += Math.Exp(x - max);
            }

            total += Math.Log(sum) + max - row[targets[r]];
        }

        return total;
    }
}
