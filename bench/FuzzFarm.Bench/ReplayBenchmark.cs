using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.Bench;

/// <summary>
/// <c>replay [--seconds N] [--profile P] [--program FILE]</c>: executions per second of one <see cref="Executor"/> on
/// one core replaying a program (FILE, to look into a slow one the fuzzer met; by default a 15-line program that exercises fork, vmsplice, a THP, a pin and DMA (on v5.7–v5.12 it also finds the
/// THP vmsplice leak, so those runs include building a violation report)). Measured twice: the fuzzer's
/// settings (<see cref="ExecutionOptions.Fast"/>) and replay's (observation strings, a fresh result per run).
/// Budget: 200,000 executions/s with the fuzzer's settings.
/// </summary>
public static class ReplayBenchmark
{
    private const double Budget = 200_000;

    public const string Text = """
        a = mmap(2M, rw, private)
        madvise(a, 2M, hugepage)
        store(a, 1)
        b = mmap(8K, rw, private)
        store(b, 2)
        h = pin(b, 4K, rw|longterm)
        t1 = fork()
        t1: p = pipe()
        t1: vmsplice(p, a, 4K)
        t1: munmap(a, 2M)
        store(a, 3)
        dma_write(h, 8, 4)
        load(b+8)
        t1: read(p, 4K)
        unpin(h)
        """;

    public static int Run(IReadOnlyList<string> args)
    {
        var seconds = double.Parse(Option(args, "--seconds") ?? "5", CultureInfo.InvariantCulture);
        var profile = KernelProfile.Parse(Option(args, "--profile") ?? "latest");
        var file = Option(args, "--program");
        var program = file is null ? ProgramParser.Parse(Text) : ProgramParser.Parse(File.ReadAllText(file));
        var fastExecutor = new Executor(ExecutionOptions.Fast);
        var replayExecutor = new Executor();
        // Warm up both (JIT tiers, pools) before measuring either.
        Measure(fastExecutor, program, profile, seconds / 2);
        Measure(replayExecutor, program, profile, seconds / 2);
        var fast = Measure(fastExecutor, program, profile, seconds);
        var replay = Measure(replayExecutor, program, profile, seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replay (fuzzer settings) : {fast,12:N0} execs/s  ({program.Statements.Length} lines, {profile.Name}, one core, {seconds} s, per CPU-second)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replay (observations)    : {replay,12:N0} execs/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"budget                   : {Budget,12:N0} execs/s {(fast >= Budget ? "ok" : "UNDER BUDGET")}"));
        return fast >= Budget ? 0 : 1;
    }

    /// <summary>Executions per second of CPU time used by this process (other load on the machine does not count).</summary>
    private static double Measure(Executor executor, FuzzFarm.Programs.Program program, KernelProfile profile, double seconds)
    {
        var runs = 0L;
        var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var batch = 1;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            // Batches, so the clock is not read per run; they grow until one takes about 10 ms (a slow FILE runs few).
            var before = clock.Elapsed;
            for (var i = 0; i < batch; i++)
            {
                executor.Run(program, profile);
            }
            runs += batch;
            if ((clock.Elapsed - before).TotalMilliseconds < 10)
            {
                batch *= 2;
            }
        }
        self.Refresh();
        return runs / (self.TotalProcessorTime - cpu0).TotalSeconds;
    }

    private static string? Option(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == name)
            {
                return args[i + 1];
            }
        }
        return null;
    }
}
