using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Fuzzing;
using FuzzFarm.Machine;

namespace FuzzFarm.Bench;

/// <summary>
/// <c>fuzz-throughput</c>: end-to-end executions per second of the fuzz loop (generate/mutate, validate, execute,
/// oracle, coverage, corpus) with one engine, then with one engine per core, and the scaling between them. Each figure
/// is given per wall-clock second and per CPU-second of the process (GC and JIT included): on a shared machine the
/// wall-clock figure moves with the neighbours' load, the CPU-second one much less, and "per core" is the latter.
/// A 10-second run measures a young corpus, whose programs are cheaper than those an engine runs after a minute (on
/// v5.7, forks of processes holding PTE-mapped THPs): the last line is one engine's rate over the second half of a
/// longer run, what an overnight campaign sees.
/// Options: <c>--profile P</c> (v5.9), <c>--seconds N</c> per measurement (10), <c>--jobs N</c> (processor count),
/// <c>--steady-seconds N</c> for the long run (60; 0 skips it). <c>--fixed N</c> instead times one engine over a fixed
/// amount of work (seed 1, 20,000 executions, then N): run two builds alternately, and their figures compare even when
/// the machine's speed drifts between minutes; the line also prints what the work reached, equal for builds that fuzz
/// alike. <c>--against DIR</c> with <c>--fixed N</c> runs another build's fixed work in this process, alternating with
/// this build's in <c>--rounds R</c> chunks (30), and prints the ratio (<see cref="BuildComparison"/>).
/// </summary>
internal static class FuzzThroughputBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(IReadOnlyList<string> args)
    {
        var profile = KernelProfile.Parse(Option(args, "--profile") ?? "v5.9");
        var seconds = int.Parse(Option(args, "--seconds") ?? "10", Inv);
        var jobs = int.Parse(Option(args, "--jobs") ?? Environment.ProcessorCount.ToString(Inv), Inv);
        var steadySeconds = int.Parse(Option(args, "--steady-seconds") ?? "60", Inv);
        if (Option(args, "--against") is { } against)
        {
            var work = Option(args, "--fixed") ?? throw new FormatException("--against needs --fixed N: the amount of work both builds do");
            return BuildComparison.Run(profile, int.Parse(work, Inv), against, int.Parse(Option(args, "--rounds") ?? "30", Inv));
        }
        if (Option(args, "--fixed") is { } fixedWork)
        {
            return MeasureFixed(profile, int.Parse(fixedWork, Inv)) >= 100_000 ? 0 : 1;
        }
        // Warm-up: JIT and the first corpus, outside the measurement.
        FuzzSession.Run(new FuzzSessionOptions(profile, 99) { MaxExecutions = 200_000 }, null, CancellationToken.None);
        var (one, oneCpu) = Measure(profile, 1, seconds);
        Console.WriteLine(string.Create(Inv, $"fuzz loop on {profile.Name}, 1 job: {one:F0} executions/s, {oneCpu:F0} per CPU-second"));
        if (jobs > 1)
        {
            var (many, manyCpu) = Measure(profile, jobs, seconds);
            Console.WriteLine(string.Create(Inv,
                $"fuzz loop on {profile.Name}, {jobs} jobs: {many:F0} executions/s ({many / jobs:F0} per job), scaling x{many / one:F2} of x{jobs}; {manyCpu:F0} per CPU-second"));
        }
        var blind = FuzzSession.Run(new FuzzSessionOptions(profile, 1) { Duration = TimeSpan.FromSeconds(seconds), Engine = FuzzOptions.Blind }, null, CancellationToken.None);
        Console.WriteLine(string.Create(Inv, $"blind generation on {profile.Name}, 1 job: {blind.Executions / blind.Elapsed.TotalSeconds:F0} executions/s"));
        if (steadySeconds > 0)
        {
            var (steady, steadyCpu, windows) = MeasureSecondHalf(profile, steadySeconds);
            Console.WriteLine(string.Create(Inv,
                $"fuzz loop on {profile.Name}, 1 job, seconds {steadySeconds / 2}-{steadySeconds} of a {steadySeconds} s run: {steady:F0} executions/s, {steadyCpu:F0} per CPU-second; {WindowText(windows)}"));
        }
        return oneCpu >= 100_000 ? 0 : 1;
    }

    /// <summary>One engine's executions per CPU-second over <paramref name="executions"/> after a 20,000-execution start.</summary>
    private static double MeasureFixed(KernelProfile profile, int executions)
    {
        var engine = new FuzzEngine(profile, 1);
        engine.RunBatch(20_000);
        using var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var bytes0 = GC.GetAllocatedBytesForCurrentThread();
        var (pause0, gen0) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0));
        var done = engine.RunBatch(executions).Executions;
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpu0;
        var rate = done / cpu.TotalSeconds;
        var paused = (GC.GetTotalPauseDuration() - pause0) / cpu;
        Console.WriteLine(string.Create(Inv,
            $"fixed work on {profile.Name} (seed 1, 20000 executions, then {done}): {rate:F0} executions per CPU-second, {(GC.GetAllocatedBytesForCurrentThread() - bytes0) / done} bytes allocated per execution, {GC.CollectionCount(0) - gen0} collections pausing {paused:P1} of the CPU time; reached corpus {engine.CorpusSize}, coverage {engine.CoverageFeatures}, violations {engine.ViolationsSeen}"));
        return rate;
    }

    /// <summary>Executions per wall-clock second and per CPU-second of this process.</summary>
    private static (double Wall, double Cpu) Measure(KernelProfile profile, int jobs, int seconds)
    {
        using var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var r = FuzzSession.Run(new FuzzSessionOptions(profile, 1) { Jobs = jobs, Duration = TimeSpan.FromSeconds(seconds) }, null, CancellationToken.None);
        self.Refresh();
        return (r.Executions / r.Elapsed.TotalSeconds, r.Executions / (self.TotalProcessorTime - cpu0).TotalSeconds);
    }

    /// <summary>
    /// One engine's executions per wall-clock second and per CPU-second over the second half of a run, and per CPU-second
    /// in each of its status intervals (about a second each), sorted.
    /// </summary>
    private static (double Wall, double Cpu, double[] Windows) MeasureSecondHalf(KernelProfile profile, int seconds)
    {
        using var self = Process.GetCurrentProcess();
        var marks = new List<(TimeSpan At, long Executions, TimeSpan Cpu)>();
        var r = FuzzSession.Run(new FuzzSessionOptions(profile, 1) { Duration = TimeSpan.FromSeconds(seconds) }, status =>
        {
            if (status.Elapsed.TotalSeconds >= seconds / 2.0)
            {
                self.Refresh();
                marks.Add((status.Elapsed, status.Executions, self.TotalProcessorTime));
            }
        }, CancellationToken.None);
        self.Refresh();
        if (marks.Count == 0)
        {
            throw new InvalidOperationException("the run reported no progress past its half");
        }
        var (at, executions, cpu) = marks[0];
        var done = r.Executions - executions;
        var windows = marks.Zip(marks.Skip(1), (a, b) => (b.Executions - a.Executions) / (b.Cpu - a.Cpu).TotalSeconds)
            .Where(double.IsFinite).Order().ToArray();
        return (done / (r.Elapsed - at).TotalSeconds, done / (self.TotalProcessorTime - cpu).TotalSeconds, windows);
    }

    /// <summary>
    /// The spread of the per-second figures: a neighbour on the same host slows some seconds and not others, so the
    /// median second shows what the loop does when it has its core, and the slowest what the host took.
    /// </summary>
    private static string WindowText(double[] windows) => windows.Length == 0
        ? "no whole status interval to split it by"
        : string.Create(Inv, $"per second: median {windows[windows.Length / 2]:F0}, slowest {windows[0]:F0}, fastest {windows[^1]:F0} ({windows.Length} intervals)");

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
