using System.CommandLine;
using Memory.Cli;

var root = new RootCommand("Memory: agent memory service tools.")
{
    EvalCommand.Create(),
    BenchCommand.Create(),
    MigrateCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
