namespace Memory.Storage.Text;

/// <summary>
/// Martin Porter's 1980 stemmer as SQLite's FTS5 <c>porter</c> tokenizer applies it: on the UTF-8 bytes of a
/// folded token of 3 to 64 bytes (others pass through), with FTS5's rule set (<c>bli</c> → <c>ble</c>,
/// <c>logi</c> → <c>log</c>) and its reading of the conditions. The in-process text index must produce exactly
/// the terms FTS5 produced, or the stores' text rankings (and LoCoMo recall) would drift apart; a test compares
/// the two on real text.
/// </summary>
internal static class PorterStemmer
{
    public const int MinBytes = 3;
    public const int MaxBytes = 64;

    /// <summary>Room a stem may need beyond the token: step 1b adds at most one byte.</summary>
    public const int Headroom = 4;

    private enum Condition
    {
        None,
        MeasureAboveZero,
        MeasureAboveOne,
        MeasureAboveOneAfterSOrT,
        HasVowel,
    }

    private readonly record struct Rule(byte[] Suffix, byte[] Replacement, Condition Condition);

    // Within a step the first rule whose suffix matches decides (its condition may still refuse the change); the
    // lists keep longer suffixes before the shorter ones they end with.
    private static readonly Rule[] Step1B = Rules(Condition.MeasureAboveZero, ("eed", "ee"));
    private static readonly Rule[] Step1BVowel = Rules(Condition.HasVowel, ("ed", ""), ("ing", ""));
    private static readonly Rule[] Step1BRepair = Rules(Condition.None, ("at", "ate"), ("bl", "ble"), ("iz", "ize"));

    private static readonly Rule[] Step2 = Rules(
        Condition.MeasureAboveZero,
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("logi", "log"),
        ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"),
        ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
        ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"));

    private static readonly Rule[] Step3 = Rules(
        Condition.MeasureAboveZero,
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""));

    private static readonly Rule[] Step4 =
    [
        .. Rules(Condition.MeasureAboveOne, ("al", ""), ("ance", ""), ("ence", ""), ("er", ""), ("ic", ""), ("able", ""), ("ible", ""),
            ("ant", ""), ("ement", ""), ("ment", ""), ("ent", "")),
        .. Rules(Condition.MeasureAboveOneAfterSOrT, ("ion", "")),
        .. Rules(Condition.MeasureAboveOne, ("ou", ""), ("ism", ""), ("ate", ""), ("iti", ""), ("ous", ""), ("ive", ""), ("ize", "")),
    ];

    /// <summary>Stems <paramref name="word"/>[..length] in place.</summary>
    /// <param name="word">The token's bytes, with at least <see cref="Headroom"/> spare bytes after them.</param>
    /// <returns>The stem's length.</returns>
    public static int Stem(Span<byte> word, int length)
    {
        if (length is < MinBytes or > MaxBytes)
        {
            return length;
        }

        // Step 1a: plurals.
        if (word[length - 1] == 's')
        {
            if (word[length - 2] == 'e')
            {
                var sses = length > 4 && word[length - 4] == 's' && word[length - 3] == 's';
                var ies = length > 3 && word[length - 3] == 'i';
                length -= sses || ies ? 2 : 1;
            }
            else if (word[length - 2] != 's')
            {
                length--;
            }
        }

        // Step 1b: -eed, -ed, -ing; a removed -ed or -ing may need its stem repaired.
        if (!TryApply(Step1B, word, ref length, out _) && TryApply(Step1BVowel, word, ref length, out var removed) && removed
            && !(TryApply(Step1BRepair, word, ref length, out var repaired) && repaired))
        {
            var last = word[length - 1];
            if (length > 1 && !IsVowel(last, false) && last is not ((byte)'l' or (byte)'s' or (byte)'z') && last == word[length - 2])
            {
                length--;
            }
            else if (MeasureIsOne(word[..length]) && EndsConsonantVowelConsonant(word[..length]))
            {
                word[length++] = (byte)'e';
            }
        }

        // Step 1c: a final y after a vowel-bearing stem becomes i.
        if (word[length - 1] == 'y' && HasVowel(word[..(length - 1)]))
        {
            word[length - 1] = (byte)'i';
        }

        TryApply(Step2, word, ref length, out _);
        TryApply(Step3, word, ref length, out _);
        TryApply(Step4, word, ref length, out _);

        // Step 5a: a final e goes where the stem is long enough.
        if (word[length - 1] == 'e')
        {
            var stem = word[..(length - 1)];
            if (MeasureAboveOne(stem) || (MeasureIsOne(stem) && !EndsConsonantVowelConsonant(stem)))
            {
                length--;
            }
        }

        // Step 5b: -ll to -l on long stems.
        if (length > 1 && word[length - 1] == 'l' && word[length - 2] == 'l' && MeasureAboveOne(word[..(length - 1)]))
        {
            length--;
        }

        return length;
    }

    /// <summary>Finds the step's rule for the word's ending and applies it if its condition holds.</summary>
    /// <returns>True when a rule's suffix matched; <paramref name="changed"/> says whether it was applied.</returns>
    private static bool TryApply(Rule[] rules, Span<byte> word, ref int length, out bool changed)
    {
        changed = false;
        foreach (var rule in rules)
        {
            var suffix = rule.Suffix;

            // The whole word is never a suffix: FTS5 needs at least one byte of stem.
            if (length <= suffix.Length || !word[(length - suffix.Length)..length].SequenceEqual(suffix))
            {
                continue;
            }

            var stem = word[..(length - suffix.Length)];
            if (Holds(rule.Condition, stem))
            {
                rule.Replacement.CopyTo(word[stem.Length..]);
                length = stem.Length + rule.Replacement.Length;
                changed = true;
            }

            return true;
        }

        return false;
    }

    private static bool Holds(Condition condition, ReadOnlySpan<byte> stem) => condition switch
    {
        Condition.None => true,
        Condition.MeasureAboveZero => SkipVowelConsonant(stem, 0, previousIsConsonant: false) > 0,
        Condition.MeasureAboveOne => MeasureAboveOne(stem),
        Condition.MeasureAboveOneAfterSOrT => stem[^1] is (byte)'s' or (byte)'t' && MeasureAboveOne(stem),
        Condition.HasVowel => HasVowel(stem),
        _ => false,
    };

    /// <summary>y is a vowel after a consonant (so "y" in "syzygy" counts, the first of "yes" does not).</summary>
    private static bool IsVowel(byte c, bool previousIsConsonant) =>
        c is (byte)'a' or (byte)'e' or (byte)'i' or (byte)'o' or (byte)'u' || (previousIsConsonant && c == 'y');

    /// <summary>
    /// Skips to the end of the first vowel-then-consonant pair from <paramref name="start"/>.
    /// </summary>
    /// <returns>The index just after that consonant, or 0 when there is no such pair.</returns>
    private static int SkipVowelConsonant(ReadOnlySpan<byte> stem, int start, bool previousIsConsonant)
    {
        var consonant = previousIsConsonant;
        var i = start;
        for (; i < stem.Length; i++)
        {
            consonant = !IsVowel(stem[i], consonant);
            if (!consonant)
            {
                break;
            }
        }

        for (i++; i < stem.Length; i++)
        {
            consonant = !IsVowel(stem[i], consonant);
            if (consonant)
            {
                return i + 1;
            }
        }

        return 0;
    }

    private static bool MeasureAboveOne(ReadOnlySpan<byte> stem)
    {
        var first = SkipVowelConsonant(stem, 0, previousIsConsonant: false);
        return first > 0 && SkipVowelConsonant(stem, first, previousIsConsonant: true) > 0;
    }

    private static bool MeasureIsOne(ReadOnlySpan<byte> stem)
    {
        var first = SkipVowelConsonant(stem, 0, previousIsConsonant: false);
        return first > 0 && SkipVowelConsonant(stem, first, previousIsConsonant: true) == 0;
    }

    /// <summary>Porter's *o: the stem ends consonant, vowel, consonant, the last not w, x or y.</summary>
    private static bool EndsConsonantVowelConsonant(ReadOnlySpan<byte> stem)
    {
        if (stem.Length == 0 || stem[^1] is (byte)'w' or (byte)'x' or (byte)'y')
        {
            return false;
        }

        var mask = 0;
        var consonant = false;
        foreach (var c in stem)
        {
            consonant = !IsVowel(c, consonant);
            mask = (mask << 1) | (consonant ? 1 : 0);
        }

        return (mask & 0b111) == 0b101;
    }

    /// <summary>Porter's *v*; FTS5 counts a y anywhere but first as a vowel here.</summary>
    private static bool HasVowel(ReadOnlySpan<byte> stem)
    {
        for (var i = 0; i < stem.Length; i++)
        {
            if (IsVowel(stem[i], i > 0))
            {
                return true;
            }
        }

        return false;
    }

    private static Rule[] Rules(Condition condition, params (string Suffix, string Replacement)[] rules) =>
        rules.Select(rule => new Rule(System.Text.Encoding.ASCII.GetBytes(rule.Suffix), System.Text.Encoding.ASCII.GetBytes(rule.Replacement), condition)).ToArray();
}
