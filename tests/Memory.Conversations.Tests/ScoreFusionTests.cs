using Memory.Conversations.Model;
using Memory.Conversations.Retrieval;

namespace Memory.Conversations.Tests;

public class ScoreFusionTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static MemoryRecord Memory(string id, DateTimeOffset? createdAt = null) => new()
    {
        Id = id,
        Tenant = "t",
        Scope = new MemoryScope("u", null, null),
        Text = id,
        Hash = id,
        Embedding = new float[] { 1, 0 },
        CreatedAt = createdAt ?? Now,
    };

    [Fact]
    public void Reciprocal_rank_of_a_memory_first_everywhere_is_one()
    {
        var options = new RetrievalOptions { Fusion = FusionMethod.ReciprocalRank, VectorWeight = 1, TextWeight = 1, RecencyWeight = 0, ReciprocalRankK = 60 };
        var fused = ScoreFusion.Fuse([new FusionCandidate(Memory("a"), 0.9, 1, 3.0, 1)], options, Now);
        Assert.Equal(1.0, fused[0].Score, 12);
    }

    [Fact]
    public void Reciprocal_rank_follows_the_formula()
    {
        var options = new RetrievalOptions { Fusion = FusionMethod.ReciprocalRank, VectorWeight = 0.6, TextWeight = 0.4, RecencyWeight = 0, ReciprocalRankK = 10 };
        var fused = ScoreFusion.Fuse(
            [
                new FusionCandidate(Memory("a"), 0.9, 1, null, null),
                new FusionCandidate(Memory("b"), 0.5, 3, 2.0, 2),
            ],
            options,
            Now);
        var best = 1.0 / 11;
        var expectedA = 0.6 / 11 / best;
        var expectedB = ((0.6 / 13) + (0.4 / 12)) / best;
        Assert.Equal("b", fused[0].Memory.Id);
        Assert.Equal(expectedB, fused[0].Score, 12);
        Assert.Equal(expectedA, fused[1].Score, 12);
    }

    [Fact]
    public void Normalized_sum_clamps_cosine_and_scales_text_by_the_best()
    {
        var options = new RetrievalOptions { Fusion = FusionMethod.NormalizedSum, VectorWeight = 0.5, TextWeight = 0.5, RecencyWeight = 0 };
        var fused = ScoreFusion.Fuse(
            [
                new FusionCandidate(Memory("a"), 0.8, 1, 4.0, 1),
                new FusionCandidate(Memory("b"), -0.3, 2, 1.0, 2),
                new FusionCandidate(Memory("c"), 0.4, 3, null, null),
            ],
            options,
            Now);
        Assert.Equal(["a", "c", "b"], fused.Select(f => f.Memory.Id));
        Assert.Equal((0.5 * 0.8) + 0.5, fused[0].Score, 12);
        Assert.Equal(0.5 * 0.4, fused[1].Score, 12);
        Assert.Equal(0.5 * 0.25, fused[2].Score, 12);
    }

    [Fact]
    public void Recency_halves_at_the_half_life_and_favours_newer_memories()
    {
        var old = Memory("old", Now.AddDays(-30));
        Assert.Equal(0.5, ScoreFusion.Recency(old, Now, 30), 12);
        Assert.Equal(1.0, ScoreFusion.Recency(Memory("future", Now.AddDays(2)), Now, 30), 12);

        var options = new RetrievalOptions { Fusion = FusionMethod.NormalizedSum, VectorWeight = 1, TextWeight = 0, RecencyWeight = 1 };
        var fused = ScoreFusion.Fuse(
            [new FusionCandidate(old, 0.5, 1, null, null), new FusionCandidate(Memory("new"), 0.5, 2, null, null)], options, Now);
        Assert.Equal("new", fused[0].Memory.Id);
        Assert.Equal(0.75, fused[0].Score, 12);
        Assert.Equal(0.5, fused[1].Score, 12);
    }

    [Theory]
    [InlineData(FusionMethod.NormalizedSum)]
    [InlineData(FusionMethod.ReciprocalRank)]
    public void Every_score_lies_in_the_unit_interval(FusionMethod method)
    {
        var options = new RetrievalOptions { Fusion = method, VectorWeight = 2, TextWeight = 3, RecencyWeight = 1 };
        var random = new Random(7);
        var candidates = Enumerable.Range(0, 200)
            .Select(i => new FusionCandidate(
                Memory($"m{i}", Now.AddDays(-random.Next(0, 1000))),
                (random.NextDouble() * 2) - 1,
                random.Next(2) == 0 ? i + 1 : null,
                random.Next(2) == 0 ? random.NextDouble() * 20 : null,
                random.Next(2) == 0 ? i + 1 : null))
            .ToList();
        var fused = ScoreFusion.Fuse(candidates, options, Now);
        Assert.Equal(200, fused.Count);
        Assert.All(fused, f => Assert.InRange(f.Score, 0.0, 1.0));
        Assert.True(fused.Zip(fused.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }
}
