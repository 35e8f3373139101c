using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Memory.Conversations.Ingestion;

/// <summary>
/// SHA-256 of a memory's normalised text, so that the same fact written with different spacing, case or
/// Unicode composition is recognised as already stored.
/// </summary>
public static class ContentHash
{
    public static string Compute(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(text)));
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// NFKC (a no-op for non-ASCII text under invariant globalization), lower case, runs of white space
    /// collapsed to one space, trimmed.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var composed = text.Normalize(NormalizationForm.FormKC);
        var builder = new StringBuilder(composed.Length);
        var pendingSpace = false;
        foreach (var c in composed)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
