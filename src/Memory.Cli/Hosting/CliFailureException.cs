namespace Memory.Cli.Hosting;

/// <summary>A failure with a named cause the user can act on; printed as one line, never with a stack trace.</summary>
public sealed class CliFailureException : Exception
{
    public CliFailureException(string message, int exitCode = ExitCodes.BadInput)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliFailureException(string message, Exception innerException, int exitCode = ExitCodes.BadInput)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public CliFailureException() : this("The command failed.") { }

    public CliFailureException(string message, Exception innerException) : this(message, innerException, ExitCodes.BadInput) { }

    public int ExitCode { get; }
}
