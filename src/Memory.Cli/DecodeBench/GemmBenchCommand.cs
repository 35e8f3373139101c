using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using Memory.Cli.Hosting;
using Memory.Inference.Decoding;
using Memory.Kernels;
using Spectre.Console;

namespace Memory.Cli.DecodeBench;

/// <summary>
/// <c>memory bench gemm [--tokens 512] [--shapes 1152x896,...] [--repeats 50] --json</c>: one prefill chunk's products
/// (bf16 weights, random data) timed with the tensor-core kernel and with the FP32 tiled GEMM, their TFLOPS, and the
/// largest difference between the two outputs relative to the output's scale. A quick self-check of the tensor-core
/// kernel on a GPU: the command fails when that difference exceeds <see cref="Tolerance"/> (x is rounded to bf16 on the
/// tensor cores, about 2⁻⁹ relative, so a wrong fragment layout shows as differences of order one).
/// </summary>
internal static class GemmBenchCommand
{
    /// <summary>Largest accepted |tensor − tiled| / max |tiled| of a product.</summary>
    public const double Tolerance = 1e-2;

    // Qwen2.5-0.5B's four layer products: stacked QKV, O, stacked gate/up, down (n x k).
    private const string DefaultShapes = "1152x896,896x896,9728x896,896x4864";

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var tokens = new Option<int>("--tokens") { Description = "Rows of x (a prefill chunk).", DefaultValueFactory = _ => 512 };
        var shapes = new Option<string>("--shapes") { Description = "Products as NxK (weight rows x inner dimension), comma-separated.", DefaultValueFactory = _ => DefaultShapes };
        var repeats = new Option<int>("--repeats") { Description = "Timed launches per product and kernel.", DefaultValueFactory = _ => 50 };
        var accelerator = new Option<AcceleratorPreference>("--accelerator") { Description = "Auto (CUDA when present), Cuda or Cpu.", DefaultValueFactory = _ => AcceleratorPreference.Auto };
        var command = new Command("gemm", "Prefill products on the tensor cores against the FP32 tiled GEMM: time, TFLOPS, agreement.")
        {
            json, tokens, shapes, repeats, accelerator,
        };
        command.SetAction((parse, cancellationToken) => CommandRunner.RunAsync(async ct =>
        {
            int rows = parse.GetValue(tokens);
            int count = parse.GetValue(repeats);
            if (rows < 1 || count < 1)
            {
                throw new CliFailureException("--tokens and --repeats must be positive");
            }

            var products = ParseShapes(parse.GetValue(shapes)!);
            using var device = DecoderAccelerator.Create(parse.GetValue(accelerator));
            var gpu = device.Accelerator;
            using var tensor = new DecoderKernels(gpu, threadPerItem: false, tensorCores: true);
            using var tiled = new DecoderKernels(gpu, threadPerItem: false, tensorCores: false);
            var results = new List<GemmShapeResult>();
            foreach (var (n, k) in products)
            {
                ct.ThrowIfCancellationRequested();
                results.Add(Measure(gpu, tensor, tiled, rows, n, k, count));
            }

            var report = new GemmBenchReport($"{gpu.AcceleratorType} {gpu.Name}", rows, tensor.TensorCores, Tolerance, results);
            if (!parse.GetValue(json))
            {
                var table = new Table().AddColumns("n x k", "kernel", "µs", "TFLOPS", "tiled µs", "tiled TFLOPS", "speed-up", "max rel. diff");
                foreach (var r in results)
                {
                    table.AddRow($"{r.N}x{r.K}", r.Route, F(r.Microseconds), F(r.Tflops), F(r.TiledMicroseconds), F(r.TiledTflops), F(r.Speedup), r.MaxRelativeDifference.ToString("0.####e0", CultureInfo.InvariantCulture));
                }

                AnsiConsole.Write(table);
            }

            await JsonOutput.WriteLastLineAsync(report);
            return results.All(r => r.MaxRelativeDifference <= Tolerance) ? ExitCodes.Success : ExitCodes.Failure;
        }, cancellationToken));
        return command;
    }

    private static GemmShapeResult Measure(Accelerator gpu, DecoderKernels tensor, DecoderKernels tiled, int tokens, int n, int k, int repeats)
    {
        var random = new Random(n + k);
        var x = new float[(long)tokens * k];
        for (long i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var words = new ushort[(long)n * k];
        for (long i = 0; i < words.Length; i++)
        {
            words[i] = (ushort)(BitConverter.SingleToUInt32Bits((float)(((random.NextDouble() * 2) - 1) * 0.05)) >> 16);
        }

        using var xBuffer = gpu.Allocate1D(x);
        using var wBuffer = gpu.Allocate1D(words);
        using var yTensor = gpu.Allocate1D<float>((long)tokens * n);
        using var yTiled = gpu.Allocate1D<float>((long)tokens * n);
        var weight = new WeightView(wBuffer.View, WeightType.BFloat16);
        var none = new WeightView(default, WeightType.None);
        double tensorSeconds = Time(tensor, repeats, () => tensor.MatMul(xBuffer.View, weight, none, yTensor.View, tokens, n, k, accumulate: false));
        double tiledSeconds = Time(tiled, repeats, () => tiled.MatMul(xBuffer.View, weight, none, yTiled.View, tokens, n, k, accumulate: false));
        var a = yTensor.GetAsArray1D();
        var b = yTiled.GetAsArray1D();
        double scale = 0;
        double difference = 0;
        for (long i = 0; i < b.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(b[i]));
            difference = Math.Max(difference, float.IsFinite(a[i]) ? Math.Abs(a[i] - b[i]) : double.PositiveInfinity);
        }

        double flops = 2.0 * tokens * n * k;
        return new GemmShapeResult(
            n,
            k,
            tensor.RouteOf(tokens, k, WeightType.BFloat16, WeightType.None).ToString(),
            Math.Round(tensorSeconds * 1e6, 2),
            Math.Round(flops / tensorSeconds / 1e12, 2),
            tiled.RouteOf(tokens, k, WeightType.BFloat16, WeightType.None).ToString(),
            Math.Round(tiledSeconds * 1e6, 2),
            Math.Round(flops / tiledSeconds / 1e12, 2),
            Math.Round(tiledSeconds / tensorSeconds, 2),
            scale > 0 ? difference / scale : difference);
    }

    /// <summary>Seconds per launch of <paramref name="product"/>: three untimed, then <paramref name="repeats"/> back to back.</summary>
    private static double Time(DecoderKernels kernels, int repeats, Action product)
    {
        for (int i = 0; i < 3; i++)
        {
            product();
        }

        kernels.Synchronize();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < repeats; i++)
        {
            product();
        }

        kernels.Synchronize();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / repeats;
    }

    private static List<(int N, int K)> ParseShapes(string text)
    {
        var shapes = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var sides = part.Split('x');
            if (sides.Length != 2 || !int.TryParse(sides[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                || !int.TryParse(sides[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k) || n < 1 || k < 1)
            {
                throw new CliFailureException($"--shapes expects NxK products separated by commas; '{part}' is not one");
            }

            shapes.Add((n, k));
        }

        return shapes.Count > 0 ? shapes : throw new CliFailureException("--shapes names nothing");
    }

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>The JSON object <c>memory bench gemm</c> prints last.</summary>
/// <param name="TensorCores">Whether the device runs the tensor-core kernel at all (CUDA sm_80 or newer).</param>
/// <param name="Tolerance">The largest accepted <see cref="GemmShapeResult.MaxRelativeDifference"/>.</param>
internal sealed record GemmBenchReport(string Device, int Tokens, bool TensorCores, double Tolerance, IReadOnlyList<GemmShapeResult> Shapes);

/// <summary>One product: the route and speed of the default kernels and of the FP32 tiled GEMM, and how far apart their outputs are.</summary>
/// <param name="MaxRelativeDifference">max |y − y_tiled| / max |y_tiled|.</param>
internal sealed record GemmShapeResult(
    int N,
    int K,
    string Route,
    double Microseconds,
    double Tflops,
    string TiledRoute,
    double TiledMicroseconds,
    double TiledTflops,
    double Speedup,
    double MaxRelativeDifference);
