using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using FuzzFarm.Machine;

namespace FuzzFarm.Bench;

/// <summary>
/// <c>fuzz-throughput --fixed N --against DIR</c>: the fixed work of this build and of the build whose assemblies are
/// in DIR (e.g. another artifacts folder's <c>bin/FuzzFarm.Bench/release</c>), both in this process, in alternating
/// chunks (ABBA). Two processes run minutes apart on a shared VM differ by a third; chunks a fraction of a second apart
/// see the same neighbours, so the ratio of the two rates resolves a change of a few percent. Both engines are loaded
/// the same way, each build's assemblies in a load context of their own and driven by reflection, so neither gains
/// from how it is reached. A run's median ratio still moves by about ±1.5% at 300,000 executions (±0.7% at 1M):
/// compare in both orders.
/// </summary>
internal static class BuildComparison
{
    private const int Start = 20_000;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(KernelProfile profile, int executions, string againstDir, int rounds)
    {
        if (!File.Exists(Path.Combine(againstDir, "FuzzFarm.Fuzzing.dll")))
        {
            throw new DirectoryNotFoundException($"--against {againstDir}: no FuzzFarm.Fuzzing.dll there; expected a build's output folder such as ARTIFACTS/bin/FuzzFarm.Bench/release");
        }
        if (rounds < 2)
        {
            throw new FormatException($"--rounds {rounds}: expected at least 2, so that each build runs first once");
        }
        var chunk = Math.Max(1, executions / rounds);
        var engines = new[] { LoadedEngine.Create(AppContext.BaseDirectory, "this", profile.Name), LoadedEngine.Create(againstDir, "against", profile.Name) };
        foreach (var engine in engines)
        {
            engine.RunBatch(Start);
        }
        var done = new long[2];
        var cpu = new double[2];
        var ratios = new List<double>(rounds);
        using var process = Process.GetCurrentProcess();
        for (var round = 0; round < rounds; round++)
        {
            var rates = new double[2];
            int[] order = round % 2 == 0 ? [0, 1] : [1, 0];
            foreach (var k in order)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var n = engines[k].RunBatch(chunk);
                process.Refresh();
                var seconds = (process.TotalProcessorTime - cpu0).TotalSeconds;
                done[k] += n;
                cpu[k] += seconds;
                rates[k] = n / seconds;
            }
            ratios.Add(rates[0] / rates[1]);
        }
        ratios.Sort();
        Console.WriteLine(string.Create(Inv,
            $"fixed work on {profile.Name} (seed 1, {Start} executions, then {rounds} alternating chunks of {chunk}): this build {done[0] / cpu[0]:F0} executions per CPU-second, --against {done[1] / cpu[1]:F0}; ratio per round median x{ratios[rounds / 2]:F3} (quartiles x{ratios[rounds / 4]:F3}-x{ratios[3 * rounds / 4]:F3})"));
        Console.WriteLine($"reached: this build {engines[0].Reached()}; --against {engines[1].Reached()}");
        return done[0] / cpu[0] >= 100_000 ? 0 : 1;
    }

    /// <summary>A build's engine, reached by reflection: its types are not the default context's.</summary>
    private sealed class LoadedEngine(object engine, MethodInfo runBatch, PropertyInfo executions)
    {
        public static LoadedEngine Create(string dir, string contextName, string profileName)
        {
            var context = new BuildContext(dir, contextName);
            var machine = context.LoadFromAssemblyName(new AssemblyName("FuzzFarm.Machine"));
            var fuzzing = context.LoadFromAssemblyName(new AssemblyName("FuzzFarm.Fuzzing"));
            var profileType = Required(machine.GetType("FuzzFarm.Machine.KernelProfile"), "KernelProfile");
            var profile = Required(profileType.GetMethod("Parse", [typeof(string)]), "KernelProfile.Parse").Invoke(null, [profileName]);
            var engineType = Required(fuzzing.GetType("FuzzFarm.Fuzzing.FuzzEngine"), "FuzzEngine");
            var optionsType = Required(fuzzing.GetType("FuzzFarm.Fuzzing.FuzzOptions"), "FuzzOptions");
            var ctor = Required(engineType.GetConstructor([profileType, typeof(ulong), optionsType]), "FuzzEngine(profile, seed, options)");
            var runBatch = Required(engineType.GetMethod("RunBatch", [typeof(int)]), "FuzzEngine.RunBatch");
            var executions = Required(runBatch.ReturnType.GetProperty("Executions"), "BatchResult.Executions");
            return new LoadedEngine(ctor.Invoke([profile, 1UL, null]), runBatch, executions);
        }

        public int RunBatch(int n) => (int)executions.GetValue(runBatch.Invoke(engine, [n]))!;

        public string Reached() =>
            $"corpus {Read("CorpusSize")}, coverage {Read("CoverageFeatures")}, violations {Read("ViolationsSeen")}";

        private object? Read(string property) => engine.GetType().GetProperty(property)?.GetValue(engine);

        private static T Required<T>(T? member, string name) where T : class =>
            member ?? throw new FileNotFoundException($"--against: the build has no {name} this bench can drive");
    }

    /// <summary>Loads the FuzzFarm assemblies from the build's folder; the framework and packages come from the host.</summary>
    private sealed class BuildContext(string dir, string name) : AssemblyLoadContext(name, isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(dir, name.Name + ".dll");
            return name.Name!.StartsWith("FuzzFarm.", StringComparison.Ordinal) && File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
