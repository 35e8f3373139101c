namespace Memory.Cli.Hosting;

public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Unavailable = 3;
    public const int Cancelled = 130;
}
