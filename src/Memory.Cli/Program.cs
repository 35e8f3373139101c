using System.CommandLine;
using Memory.Cli;
using Memory.Cli.DecodeBench;
using Memory.Cli.Demo;
using Memory.Cli.Kv;
using Memory.Cli.KvBench;

var bench = BenchCommand.Create();
bench.Subcommands.Add(KvBenchCommand.Create());
bench.Subcommands.Add(DecodeBenchCommand.Create());
bench.Subcommands.Add(GemmBenchCommand.Create());

var root = new RootCommand("Memory: agent memory service tools.")
{
    EvalCommand.Create(),
    bench,
    MigrateCommand.Create(),
    KvCommand.Create(),
    DemoCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
