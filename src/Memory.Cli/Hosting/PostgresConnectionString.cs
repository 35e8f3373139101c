using Npgsql;

namespace Memory.Cli.Hosting;

/// <summary>Checks a PostgreSQL connection string's syntax up front, so a typo is bad input (exit 2), not a failure deep inside.</summary>
public static class PostgresConnectionString
{
    public static string Validate(string connectionString, string optionName)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return connectionString;
        }
        catch (ArgumentException ex)
        {
            throw new CliFailureException($"{optionName} is not a valid PostgreSQL connection string: {ex.Message}", ex);
        }
    }
}
