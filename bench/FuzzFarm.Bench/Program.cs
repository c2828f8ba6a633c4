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
            ["time-to-find"] = ("executions and seconds to first find of each seed scenario, guided vs blind, repro sizes", a => Task.FromResult(TimeToFindBenchmark.Run(a))),
            ["fuzz-throughput"] = ("executions/s of the fuzz loop with 1 job and one per core, and the scaling", a => Task.FromResult(FuzzThroughputBenchmark.Run(a))),
            ["fuzz-latest"] = ("10 million executions on latest: only the hugetlb leak may show", a => Task.FromResult(FuzzLatestBenchmark.Run(a))),
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
        try
        {
            return await bench.Run(args.Skip(1).ToArray());
        }
        catch (FuzzFarm.Programs.ProgramException e)
        {
            await Console.Error.WriteLineAsync($"{args[0]}: {e.Format(Option(args, "--program"))}");
            return 2;
        }
        catch (Exception e) when (e is FormatException or DirectoryNotFoundException or FileNotFoundException
            or FuzzFarm.Machine.ProfileException)
        {
            // Bad options or files are the caller's to fix: one line, not a stack trace.
            await Console.Error.WriteLineAsync($"{args[0]}: {e.Message}");
            return 2;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
