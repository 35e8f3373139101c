namespace Memory.Inference.Models;

/// <summary>Inverse rotary frequencies per head-dimension pair, with the llama3 or linear scaling of transformers folded in.</summary>
public static class RopeFrequencies
{
    public static float[] Compute(int headDim, double theta, RopeScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        int half = headDim / 2;
        var result = new float[half];
        for (int j = 0; j < half; j++)
        {
            // transformers computes the base frequencies in fp32; doing the same keeps angles bit-compatible.
            float exponent = (float)(2 * j) / headDim;
            double inv = 1.0 / Math.Pow(theta, exponent);
            inv = (float)inv;
            result[j] = (float)Scale(inv, scaling);
        }

        return result;
    }

    private static double Scale(double inv, RopeScaling scaling)
    {
        switch (scaling.Type)
        {
            case "linear":
                return inv / scaling.Factor;
            case "llama3":
                double lowWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
                double highWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
                double wavelength = 2 * Math.PI / inv;
                if (wavelength < highWavelength)
                {
                    return inv;
                }

                if (wavelength > lowWavelength)
                {
                    return inv / scaling.Factor;
                }

                double smooth = ((scaling.OriginalMaxPositionEmbeddings / wavelength) - scaling.LowFreqFactor)
                    / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                return ((1 - smooth) * inv / scaling.Factor) + (smooth * inv);
            default:
                return inv;
        }
    }
}
