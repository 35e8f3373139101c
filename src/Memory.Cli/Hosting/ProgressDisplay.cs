using Memory.Cli.Locomo;
using Spectre.Console;

namespace Memory.Cli.Hosting;

/// <summary>Spectre progress bars while stdout is a terminal; nothing at all when it is redirected (scripts read the last line).</summary>
public static class ProgressDisplay
{
    public static bool Enabled => !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    public static async Task<T> RunAsync<T>(Func<IProgress<EvaluationProgress>?, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Enabled)
        {
            return await body(null);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var progress = new SynchronousProgress(update =>
                {
                    if (!tasks.TryGetValue(update.Stage, out var task))
                    {
                        task = context.AddTask(update.Stage, maxValue: Math.Max(1, update.Total));
                        tasks[update.Stage] = task;
                    }

                    task.Value = update.Done;
                });
                result = await body(progress);
            });
        return result;
    }

    // Progress<T> posts to the thread pool; updates here must land in order and before the bars close.
    private sealed class SynchronousProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }
}
