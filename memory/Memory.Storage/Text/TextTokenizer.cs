using System.Globalization;
using System.Text;

namespace Memory.Storage.Text;

/// <summary>
/// Splits text into the terms SQLite's FTS5 indexes with <c>porter unicode61 remove_diacritics 2</c> (the embedded
/// store's tokenizer): runs of letters, numbers and private-use characters (other marks and symbols separate them, combining diacritics are dropped); folded to lower case
/// with diacritics removed; each token of 3 to 64 UTF-8 bytes stemmed by <see cref="PorterStemmer"/>. The in-process
/// text index uses it for documents and queries alike.
/// </summary>
/// <remarks>
/// This process runs with invariant globalization, where <see cref="string.Normalize()"/> does nothing, so diacritics
/// are removed by a table of the Latin blocks (Latin-1 Supplement to Latin Extended-B, Latin Extended Additional),
/// made from Unicode's canonical decompositions; letters of other scripts keep their marks (a marked query word
/// then matches only the same marked word). On the 16,138 texts of the LoCoMo dev set the tokens equal FTS5's, token
/// for token, in every text but one: FTS5 also indexes an emoji newer than its Unicode tables (🧘), which is a
/// symbol, so a separator, here.
/// </remarks>
internal static class TextTokenizer
{
    private const int LatinStart = 0x00C0;
    private const int LatinAdditionalStart = 0x1E00;
    private const int CombiningDiacriticsStart = 0x0300;
    private const int CombiningDiacriticsEnd = 0x036F;

    /// <summary>U+00C0–U+024F folded: lower case, base letter of a canonical decomposition.</summary>
    private const string LatinFolded = "aaaaaaæceeeeiiiiðnooooo×øuuuuyþßaaaaaaæceeeeiiiiðnooooo÷øuuuuyþyaaaaaaccccccccddđđeeeeeeeeeegggggggghhħħiiiiiiiiiıĳĳjjkkĸllllllŀŀłłnnnnnnŉŋŋooooooœœrrrrrrssssssssttttŧŧuuuuuuuuuuuuwwyyyzzzzzzſƀɓƃƃƅƅɔƈƈɖɗƌƌƍǝəɛƒƒɠɣƕɩɨƙƙƚƛɯɲƞɵooƣƣƥƥʀƨƨʃƪƫƭƭʈuuʊʋƴƴƶƶʒƹƹƺƻƽƽƾƿǀǁǂǃǆǆǆǉǉǉǌǌǌaaiioouuuuuuuuuuǝaaaaææǥǥggkkooooʒʒjǳǳǳggƕƿnnaaææøøaaaaeeeeiiiioooorrrruuuussttȝȝhhƞȡȣȣȥȥaaeeooooooooyyȴȵȶȷȸȹⱥȼȼƚⱦȿɀɂɂƀʉʌɇɇɉɉɋɋɍɍɏɏ";

    /// <summary>U+1E00–U+1EFF folded.</summary>
    private const string LatinAdditionalFolded = "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwyẚſẜẝßẟaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyỻỻỽỽỿỿ";

    /// <summary>Calls <paramref name="onToken"/> with each token of <paramref name="text"/>, in order, repeats included.</summary>
    public static void Tokenize<TState>(ReadOnlySpan<char> text, ref TState state, TokenHandler<TState> onToken)
    {
        Span<byte> small = stackalloc byte[PorterStemmer.MaxBytes + PorterStemmer.Headroom];
        var buffer = small;
        byte[]? rented = null;
        Span<byte> encoded = stackalloc byte[4];
        var length = 0;
        try
        {
            foreach (var rune in text.EnumerateRunes())
            {
                var value = rune.Value;
                if (value < 0x80)
                {
                    if (char.IsAsciiLetterOrDigit((char)value))
                    {
                        Append(ref buffer, ref rented, ref length, (byte)(value is >= 'A' and <= 'Z' ? value + 32 : value));
                        continue;
                    }

                    Flush(buffer, ref length, ref state, onToken);
                    continue;
                }

                if (value is >= CombiningDiacriticsStart and <= CombiningDiacriticsEnd)
                {
                    // A combining diacritic belongs to the token it follows and is folded away.
                    continue;
                }

                if (!IsTokenCategory(Rune.GetUnicodeCategory(rune)))
                {
                    Flush(buffer, ref length, ref state, onToken);
                    continue;
                }

                var folded = Fold(rune);
                var count = folded.EncodeToUtf8(encoded);
                for (var i = 0; i < count; i++)
                {
                    Append(ref buffer, ref rented, ref length, encoded[i]);
                }
            }

            Flush(buffer, ref length, ref state, onToken);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The tokens of <paramref name="text"/> as strings, in order.</summary>
    public static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, ref tokens, static (ref List<string> list, ReadOnlySpan<byte> token) => list.Add(Encoding.UTF8.GetString(token)));
        return tokens;
    }

    private static bool IsTokenCategory(UnicodeCategory category) => category is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
        or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
        or UnicodeCategory.OtherNumber or UnicodeCategory.PrivateUse;

    private static Rune Fold(Rune rune)
    {
        var value = rune.Value;
        if (value >= LatinStart && value < LatinStart + LatinFolded.Length)
        {
            return new Rune(LatinFolded[value - LatinStart]);
        }

        if (value >= LatinAdditionalStart && value < LatinAdditionalStart + LatinAdditionalFolded.Length)
        {
            return new Rune(LatinAdditionalFolded[value - LatinAdditionalStart]);
        }

        return Rune.ToLowerInvariant(rune);
    }

    private static void Append(ref Span<byte> buffer, ref byte[]? rented, ref int length, byte value)
    {
        if (length + PorterStemmer.Headroom >= buffer.Length)
        {
            // A token longer than the stemmer's limit is passed through whole, however long.
            var larger = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer[..length].CopyTo(larger);
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }

            rented = larger;
            buffer = larger;
        }

        buffer[length++] = value;
    }

    private static void Flush<TState>(Span<byte> buffer, ref int length, ref TState state, TokenHandler<TState> onToken)
    {
        if (length == 0)
        {
            return;
        }

        var stemmed = PorterStemmer.Stem(buffer, length);
        onToken(ref state, buffer[..stemmed]);
        length = 0;
    }
}
