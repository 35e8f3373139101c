using Memory.Storage.Text;
using Microsoft.Data.Sqlite;

namespace Memory.Storage.Tests;

/// <summary>The in-process tokenizer and BM25 against SQLite's FTS5 (porter unicode61 remove_diacritics 2), on the same texts.</summary>
public sealed class TextTokenizerTests
{
    /// <summary>Words for every Porter rule (Porter's own examples) and the usual shapes of chat text.</summary>
    private static readonly string[] Texts =
    [
        "caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping tanned",
        "falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci digitizer",
        "conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism decisiveness",
        "hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical",
        "hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible irritant replacement",
        "adjustment dependent adoption homologou communism activate angulariti homologous effective bowdlerize probate",
        "rate cease controll roll generalizations oscillators yes syzygy by eyes dying lying agreement archaeology",
        "I've been running marathons since 2019; my sister's kids LOVE it!!! (note 42)",
        "Caroline went to the LGBTQ support group on 7 May 2023 and felt accepted.",
        "Café naïve Ångström ÉCOLE Straße façade jalapeño Zürich São Paulo Dvořák Łódź",
        "東京 кофе ΕΛΛΗΝΙΚΆ Ελληνικά 咖啡 コーヒー",
        "e-mail well-known x_y foo.bar a1b2 3.14 ½ ² ⅷ",
        "Melanie painted a sunrise; she's been painting since the kids were little — \"it relaxes me\".",
        "abilities stabilise possibly generously organisation visualisation measurably ",
        "ies ss s sses eed ing ed y",
    ];

    [Fact]
    public void Tokens_are_the_terms_FTS5_indexes_in_order()
    {
        using var connection = Fts5Corpus(Texts);
        for (var doc = 0; doc < Texts.Length; doc++)
        {
            Assert.Equal(Fts5Tokens(connection, doc + 1), TextTokenizer.Tokens(Texts[doc]));
        }
    }

    [Fact]
    public void Bm25_ranks_and_scores_as_FTS5_does()
    {
        var texts = Enumerable.Range(0, 400).Select(Sentence).ToArray();
        using var connection = Fts5Corpus(texts);
        using var index = new TenantTextIndex();
        var scope = new Conversations.Model.MemoryScope("u", null, null);
        for (var i = 0; i < texts.Length; i++)
        {
            index.Upsert(i + 1, scope, IndexedText.Of(texts[i]));
        }

        foreach (var query in new[] { "painting sunrise", "kids marathon running", "garden tomatoes", "sister painted the lake", "nothing matches zzz" })
        {
            var words = TextQueryTerms.Extract(query);
            var expected = Fts5Ranking(connection, words, 10);
            var actual = index.Search(scope, IndexedText.QueryTerms(words), 10);

            Assert.Equal(expected.Select(hit => hit.Row), actual.Select(hit => hit.Row));
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.InRange(actual[i].Score - expected[i].Score, -1e-4, 1e-4);
            }
        }
    }

    [Fact]
    public void Removed_and_replaced_documents_leave_the_statistics_of_the_live_ones()
    {
        // Enough churn to compact the postings more than once.
        var scope = new Conversations.Model.MemoryScope("u", null, null);
        var texts = Enumerable.Range(0, 400).Select(Sentence).ToArray();
        using var churned = new TenantTextIndex();
        for (var round = 0; round < 8; round++)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                churned.Upsert(i + 1, scope, IndexedText.Of(round % 2 == 0 ? "placeholder words only" : texts[i]));
            }
        }

        for (var i = 0; i < 3_000; i++)
        {
            churned.Upsert(10_000 + i, scope, IndexedText.Of("short lived"));
            churned.Remove(10_000 + i);
        }

        using var fresh = new TenantTextIndex();
        for (var i = 0; i < texts.Length; i++)
        {
            fresh.Upsert(i + 1, scope, IndexedText.Of(texts[i]));
        }

        var terms = IndexedText.QueryTerms(TextQueryTerms.Extract("sister painted the lake"));
        Assert.Equal(fresh.Search(scope, terms, 20), churned.Search(scope, terms, 20));
        Assert.Equal(texts.Length, churned.Search(scope, IndexedText.QueryTerms(["sister", "kids", "melanie", "caroline", "neighbours"]), 1_000).Count);
        Assert.Empty(churned.Search(scope, IndexedText.QueryTerms(["placeholder", "lived"]), 10));
    }

    private static string Sentence(int i)
    {
        string[] subjects = ["My sister", "The kids", "Melanie", "Caroline", "Our neighbours"];
        string[] verbs = ["painted", "is painting", "ran", "keeps running", "planted", "loves"];
        string[] objects = ["a sunrise", "the lake", "a marathon", "tomatoes in the garden", "the kids' room", "paintings"];
        var random = new Random(i);
        return $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]}"
            + (random.Next(3) == 0 ? $" again and again, {objects[random.Next(objects.Length)]} too" : string.Empty) + $" ({i})";
    }

    private static SqliteConnection Fts5Corpus(IReadOnlyList<string> texts)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = """
            CREATE VIRTUAL TABLE corpus USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2');
            CREATE VIRTUAL TABLE corpus_terms USING fts5vocab(corpus, 'instance');
            """;
        create.ExecuteNonQuery();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO corpus (rowid, text) VALUES ($row, $text)";
        var row = insert.Parameters.Add("$row", SqliteType.Integer);
        var text = insert.Parameters.Add("$text", SqliteType.Text);
        for (var i = 0; i < texts.Count; i++)
        {
            row.Value = i + 1;
            text.Value = texts[i];
            insert.ExecuteNonQuery();
        }

        return connection;
    }

    private static List<string> Fts5Tokens(SqliteConnection connection, long row)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT term FROM corpus_terms WHERE doc = $row ORDER BY offset";
        command.Parameters.AddWithValue("$row", row);
        using var reader = command.ExecuteReader();
        var terms = new List<string>();
        while (reader.Read())
        {
            terms.Add(reader.GetString(0));
        }

        return terms;
    }

    private static List<(long Row, double Score)> Fts5Ranking(SqliteConnection connection, IReadOnlyList<string> words, int limit)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT rowid, -bm25(corpus) FROM corpus WHERE corpus MATCH $match ORDER BY bm25(corpus), rowid DESC LIMIT $limit";
        command.Parameters.AddWithValue("$match", string.Join(" OR ", words.Select(word => "\"" + word + "\"")));
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var ranking = new List<(long Row, double Score)>();
        while (reader.Read())
        {
            ranking.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }

        return ranking;
    }
}
