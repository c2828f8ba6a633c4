using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>Every program AFL++ crashed the machine with (bench/afl/crashes) now runs on every profile.</summary>
public class AflCrashTests
{
    public static TheoryData<string> Crashes()
    {
        var data = new TheoryData<string>();
        var dir = Path.Combine(Path.GetDirectoryName(SeedPrograms.Folder)!, "..", "bench", "afl", "crashes");
        foreach (var file in Directory.GetFiles(dir, "*.ff").Order(StringComparer.Ordinal))
        {
            data.Add(file);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Crashes))]
    public void RunsWithoutThrowing(string file)
    {
        var program = ProgramParser.Parse(File.ReadAllText(file));
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Executor(new ExecutionOptions { Trace = true }).Run(program, profile);
            Assert.NotNull(result);
        }
    }
}
