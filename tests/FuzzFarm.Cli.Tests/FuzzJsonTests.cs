using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>
/// `fuzzfarm fuzz --json` with a seed and an execution limit on one job is the same run in every process: the same
/// document but for the seconds it took. It also tells how many mutants the validator rejected and where the machine
/// threw (nowhere, on a sound machine).
/// </summary>
public sealed partial class FuzzJsonTests
{
    [Fact]
    public void One_job_with_a_seed_gives_the_same_json_in_two_processes_with_rejected_mutants_and_no_machine_errors()
    {
        var dir = Directory.CreateTempSubdirectory("ff-json-").FullName;
        try
        {
            string[] args = ["fuzz", "--profile", "v5.9", "--executions", "20000", "--seed", "4", "--jobs", "1", "--out", dir, "--json"];
            var first = Fuzzfarm.Run(args);
            var second = Fuzzfarm.Run(args);

            Assert.Equal(1, first.ExitCode);
            Assert.Equal(Seconds().Replace(first.Stdout, ""), Seconds().Replace(second.Stdout, ""));
            using var json = JsonDocument.Parse(first.Stdout);
            var root = json.RootElement;
            Assert.Equal(20000, root.GetProperty("executions").GetInt64());
            // About 6% of mutants are rejected once mutation starts (after the 4,000-execution warm-up).
            Assert.InRange(root.GetProperty("rejected_mutants").GetInt64(), 100, 5000);
            Assert.Equal(0, root.GetProperty("machine_errors").GetArrayLength());
            Assert.NotEqual(0, root.GetProperty("signatures").GetArrayLength());
            Assert.Empty(Directory.GetFiles(dir, "machine-error-*.ff"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"""seconds"":[0-9.]+")]
    private static partial Regex Seconds();
}
