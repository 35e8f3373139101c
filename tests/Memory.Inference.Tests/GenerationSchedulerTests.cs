using Memory.Inference.Decoding;
using Memory.Inference.Serving;
using Microsoft.Extensions.Logging.Abstractions;

namespace Memory.Inference.Tests;

/// <summary>The generation loop on the tiny Llama 3 reference model: batching, stopping, cancelling, admission.</summary>
public sealed class GenerationSchedulerTests
{
    private static readonly string Model = ReferenceCase.Load("tiny-llama3-bf16").Directory;

    [Fact]
    public async Task Requests_running_together_generate_what_each_generates_alone()
    {
        var prompts = new[] { Prompt(9, 1), Prompt(30, 2), Prompt(17, 3) };
        using var decoder = DecoderFactory.Open(Model);
        var alone = new List<List<int>>();
        await using (var scheduler = Scheduler(decoder))
        {
            foreach (var prompt in prompts)
            {
                alone.Add((await RunAsync(scheduler, Request(prompt, 10))).Tokens);
            }
        }

        await using var together = Scheduler(decoder);
        var runs = prompts.Select(p => RunAsync(together, Request(p, 10))).ToArray();
        var results = await Task.WhenAll(runs);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], results[i].Tokens);
            Assert.Equal(FinishReason.Length, results[i].Summary.FinishReason);
            Assert.Equal(10, results[i].Summary.CompletionTokens);
            Assert.Equal(prompts[i].Length, results[i].Summary.PromptTokens);
        }

        Assert.Equal(decoder.Capacity.KvBlocks, decoder.FreeKvBlocks);
    }

    [Fact]
    public async Task A_stop_token_ends_the_completion_without_being_part_of_it()
    {
        using var decoder = DecoderFactory.Open(Model);
        await using var scheduler = Scheduler(decoder);
        var prompt = Prompt(12, 4);
        var full = (await RunAsync(scheduler, Request(prompt, 6))).Tokens;
        int stop = full[3];
        int expectedLength = full.IndexOf(stop);

        var stopped = await RunAsync(scheduler, Request(prompt, 6) with { StopTokens = new HashSet<int> { stop } });
        Assert.Equal(full.Take(expectedLength), stopped.Tokens);
        Assert.Equal(FinishReason.Stop, stopped.Summary.FinishReason);
    }

    [Fact]
    public async Task A_cancelled_request_ends_as_cancelled_and_frees_its_blocks()
    {
        using var decoder = DecoderFactory.Open(Model);
        await using var scheduler = Scheduler(decoder);
        using var cancellation = new CancellationTokenSource();
        var stream = scheduler.Submit(Request(Prompt(20, 5), 500), cancellation.Token);
        Assert.True(await stream.Tokens.WaitToReadAsync());
        await cancellation.CancelAsync();
        var summary = await stream.Completion;
        Assert.Equal(FinishReason.Cancelled, summary.FinishReason);
        Assert.InRange(summary.CompletionTokens, 1, 499);

        // The loop goes on serving others, and the cancelled sequence's blocks are free again.
        var next = await RunAsync(scheduler, Request(Prompt(8, 6), 2));
        Assert.Equal(2, next.Tokens.Count);
        Assert.Equal(decoder.Capacity.KvBlocks, decoder.FreeKvBlocks);
    }

    [Fact]
    public async Task Requests_that_do_not_fit_together_wait_for_room_instead_of_failing()
    {
        // 4 blocks of 16 tokens; each request reserves 3 (prompt 30 + 10 generated), so they run one after the other.
        using var decoder = DecoderFactory.Open(Model, cacheTokens: 64);
        var prompts = new[] { Prompt(30, 7), Prompt(30, 8) };
        await using var scheduler = Scheduler(decoder);
        var results = await Task.WhenAll(prompts.Select(p => RunAsync(scheduler, Request(p, 10))));
        Assert.All(results, r => Assert.Equal(10, r.Tokens.Count));

        await using var alone = Scheduler(decoder);
        Assert.Equal((await RunAsync(alone, Request(prompts[1], 10))).Tokens, results[1].Tokens);
    }

    [Fact]
    public async Task Requests_that_can_never_run_are_refused_with_the_reason()
    {
        using var decoder = DecoderFactory.Open(Model, cacheTokens: 64);
        await using var scheduler = Scheduler(decoder, new GenerationSchedulerOptions { MaxQueuedRequests = 1 });
        Assert.Contains("empty", Refused(scheduler, Request([], 4)).Message, StringComparison.Ordinal);
        Assert.Contains("vocabulary", Refused(scheduler, Request([5, 100_000], 4)).Message, StringComparison.Ordinal);
        Assert.Contains("at least 1", Refused(scheduler, Request([5], 0)).Message, StringComparison.Ordinal);
        Assert.Contains("Decoder:KvCacheTokens", Refused(scheduler, Request(Prompt(40, 9), 40)).Message, StringComparison.Ordinal);

        var running = scheduler.Submit(Request(Prompt(8, 10), 40));
        Assert.Throws<GenerationBusyException>(() => scheduler.Submit(Request(Prompt(8, 11), 4)));
        await running.Completion;
    }

    private static GenerationRejectedException Refused(GenerationScheduler scheduler, GenerationRequest request) =>
        Assert.Throws<GenerationRejectedException>(() => scheduler.Submit(request));

    private static GenerationScheduler Scheduler(LlamaDecoder decoder, GenerationSchedulerOptions? options = null) =>
        new(decoder, decoder, cache: null, options ?? new GenerationSchedulerOptions(), NullLogger<GenerationScheduler>.Instance);

    private static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(10, 320)).ToArray();
    }

    private static GenerationRequest Request(int[] prompt, int maxTokens) =>
        new(prompt, SamplingOptions.Greedy, maxTokens, new HashSet<int>(), KvBlockOrigin.Default);

    private static async Task<(List<int> Tokens, GenerationSummary Summary)> RunAsync(GenerationScheduler scheduler, GenerationRequest request)
    {
        var stream = scheduler.Submit(request);
        var tokens = new List<int>();
        await foreach (int token in stream.Tokens.ReadAllAsync())
        {
            tokens.Add(token);
        }

        return (tokens, await stream.Completion);
    }
}
