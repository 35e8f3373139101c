using System.Text.Json;

namespace Memory.Cli.Hosting;

/// <summary>The machine-readable result: one compact JSON object, always the last line of stdout.</summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static async Task WriteLastLineAsync<T>(T value)
    {
        await Console.Out.FlushAsync();
        await Console.Out.WriteLineAsync(Serialize(value));
        await Console.Out.FlushAsync();
    }
}
