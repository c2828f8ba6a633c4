namespace FuzzFarm.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/FuzzFarm.Bench -- NAME [options]</c>: runs one benchmark and prints its
/// figures. Each benchmark lives in its own file; add yours to <see cref="Benchmarks"/>.
/// </summary>
public static class Dispatcher
{
    private static readonly Dictionary<string, (string Summary, Func<IReadOnlyList<string>, Task<int>> Run)> Benchmarks =
        new(StringComparer.Ordinal)
        {
            ["replay"] = ("executions/s of the machine replaying a 15-line program on one core", a => Task.FromResult(ReplayBenchmark.Run(a))),
            ["farm"] = ("executions/s of the embedded farm against the bare fuzz loop", FarmBenchmark.RunAsync),
            ["baselines"] = ("time to first find (guided, blind, farm) and scaling, for bench/report.sh", BaselinesBenchmark.RunAsync),
        };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !Benchmarks.TryGetValue(args[0], out var bench))
        {
            await Console.Error.WriteLineAsync(args.Length == 0 ? "usage: FuzzFarm.Bench NAME [options]" : $"unknown benchmark '{args[0]}'");
            foreach (var (name, (summary, _)) in Benchmarks)
            {
                await Console.Error.WriteLineAsync($"  {name,-8} {summary}");
            }
            return 2;
        }
        return await bench.Run(args.Skip(1).ToArray());
    }
}
