using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using FuzzFarm.Silo.Commands;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>The same program and profile give byte-identical <c>--json</c>, in one process and across processes.</summary>
public sealed class DeterminismTests
{
    public static TheoryData<string, string> Runs { get; } = new()
    {
        { "s2-vmsplice-thp.ff", "v5.9" },
        { "s6-uffd-wp-stale-tlb.ff", "v5.11" },
        { "s8-odirect-clear-refs.ff", "v6.15" },
        { "s3-uffd-wp-self-hang.ff", "v5.8" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Json_is_byte_identical_across_runs_and_processes(string seed, string profileName)
    {
        var path = Path.Combine(RepoPaths.Seeds, seed);
        var program = ProgramParser.Parse(File.ReadAllText(path));
        var profile = KernelProfile.Parse(profileName);

        // Two runs on one executor (pooled state reused), one on a fresh executor, two processes.
        var executor = new Executor(new ExecutionOptions { Trace = true });
        var first = Json(profile, executor.Run(program, profile));
        var second = Json(profile, executor.Run(program, profile));
        var fresh = Json(profile, new Executor(new ExecutionOptions { Trace = true }).Run(program, profile));
        var processA = Fuzzfarm.Run("replay", path, "--profile", profileName, "--json", "--trace");
        var processB = Fuzzfarm.Run("replay", path, "--profile", profileName, "--json", "--trace");

        Assert.Equal(first, second);
        Assert.Equal(first, fresh);
        Assert.Equal(first, processA.Stdout);
        Assert.Equal(processA.Stdout, processB.Stdout);
    }

    private static string Json(KernelProfile profile, ExecutionResult result)
    {
        using var buffer = new MemoryStream();
        ReplayJson.Write(buffer, profile, result, trace: true);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
