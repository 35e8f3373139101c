namespace Memory.Kernels.Tests;

/// <summary>
/// The stacked, normed product in double precision, the way <see cref="MatMulKernel"/> documents it: y starts as
/// <c>initial</c> (zeros when null), x is RMSNorm(x) · gain when a gain is given, and the rows [starts[s], starts[s+1])
/// of segment s go to the dense [tokens, width] block at tokens · starts[s].
/// </summary>
internal static class MatMulReference
{
    public static double[] Compute(float[] x, float[] w, float[] bias, float[]? gain, float eps, float[]? initial, int tokens, int n, int k, int[] segments)
    {
        var expected = new double[tokens * n];
        int[] starts = [0, .. segments, n];
        for (int t = 0; t < tokens; t++)
        {
            double squares = 0;
            for (int c = 0; c < k; c++)
            {
                squares += (double)x[(t * k) + c] * x[(t * k) + c];
            }

            double inverse = gain is null ? 1 : 1 / Math.Sqrt((squares / k) + eps);
            for (int s = 0; s + 1 < starts.Length; s++)
            {
                int width = starts[s + 1] - starts[s];
                for (int row = starts[s]; row < starts[s + 1]; row++)
                {
                    int index = (tokens * starts[s]) + (t * width) + (row - starts[s]);
                    double sum = (initial?[index] ?? 0) + bias[row];
                    for (int c = 0; c < k; c++)
                    {
                        sum += x[(t * k) + c] * inverse * (gain?[c] ?? 1) * w[(row * k) + c];
                    }

                    expected[index] = sum;
                }
            }
        }

        return expected;
    }
}
