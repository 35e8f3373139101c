using System.Net.Sockets;
using System.Text.Json;
using Memory.Conversations.Errors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Memory.Cli.Hosting;

/// <summary>
/// Runs a command body and turns every failure into one line on stderr and a non-zero exit code: bad input
/// (2) and unreachable dependencies (3) name their cause; only an unexpected defect mentions a stack trace,
/// and prints it only with MEMORY_CLI_DEBUG=1.
/// </summary>
public static class CommandRunner
{
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await body(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("error: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            var (code, message) = Describe(ex);
            await Console.Error.WriteLineAsync($"error: {message}");
            if (code == ExitCodes.Failure && Environment.GetEnvironmentVariable("MEMORY_CLI_DEBUG") == "1")
            {
                await Console.Error.WriteLineAsync(ex.ToString());
            }

            return code;
        }
    }

    public static (int Code, string Message) Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            CliFailureException cli => (cli.ExitCode, cli.Message),
            FileNotFoundException file => (ExitCodes.BadInput, $"file not found: {file.FileName ?? file.Message}"),
            DirectoryNotFoundException dir => (ExitCodes.BadInput, $"directory not found: {dir.Message}"),
            UnauthorizedAccessException denied => (ExitCodes.BadInput, $"permission denied: {denied.Message}"),
            JsonException json => (ExitCodes.BadInput, $"invalid JSON: {json.Message}"),
            MemoryValidationException invalid => (ExitCodes.BadInput, $"invalid request ({invalid.Field}): {invalid.Message}"),
            OptionsValidationException options => (ExitCodes.BadInput, $"invalid configuration: {string.Join("; ", options.Failures)}"),
            EmbeddingFailedException embedding => (ExitCodes.Unavailable, $"embedding failed: {embedding.Message}"),
            InferenceUnavailableException inference => (ExitCodes.Unavailable, inference.Message),
            ChatModelUnavailableException chat => (ExitCodes.Unavailable, chat.Message),
            ChatModelRejectedException chat => (ExitCodes.BadInput, chat.Message),
            NpgsqlException { InnerException: SocketException socket } => (ExitCodes.Unavailable, $"PostgreSQL is unreachable: {socket.Message}"),
            PostgresException postgres => (ExitCodes.Unavailable, $"PostgreSQL refused: {postgres.MessageText} ({postgres.SqlState})"),
            NpgsqlException npgsql => (ExitCodes.Unavailable, $"PostgreSQL failed: {npgsql.Message}"),
            SqliteException sqlite => (ExitCodes.Unavailable, $"SQLite failed: {sqlite.Message}"),
            ArgumentException argument when argument.Message.Contains("connection string", StringComparison.OrdinalIgnoreCase)
                || argument.Message.Contains("keyword", StringComparison.OrdinalIgnoreCase)
                => (ExitCodes.BadInput, $"invalid connection string: {argument.Message}"),
            _ => (ExitCodes.Failure, $"{exception.GetType().Name}: {exception.Message} (set MEMORY_CLI_DEBUG=1 for the stack trace)"),
        };
    }
}
