using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>
/// `fuzzfarm fuzz` with stderr in a log (not a terminal) writes its status line when it starts, every ten seconds and
/// once at the end: an overnight campaign's log grows by a line per ten seconds, not per second. Stopped by SIGTERM,
/// it ends as it would at its time limit.
/// </summary>
public sealed class FuzzStatusTests
{
    [Fact]
    public void A_three_second_run_logs_its_first_and_its_final_status_only()
    {
        var dir = Directory.CreateTempSubdirectory("ff-status-").FullName;
        try
        {
            var run = Fuzzfarm.Run("fuzz", "--profile", "latest", "--seconds", "3", "--out", dir);

            Assert.True(run.ExitCode is 0 or 1, run.Stderr);
            Assert.Equal(2, run.StderrLines.Length);
            Assert.All(run.StderrLines, l => Assert.StartsWith("fuzz v6.15: ", l, StringComparison.Ordinal));
            // The last line is the final state: the executions the summary on stdout reports.
            var executions = System.Text.RegularExpressions.Regex.Match(run.StderrLines[1], @"^fuzz v6\.15: (\d+) execs,").Groups[1].Value;
            Assert.StartsWith($"fuzz v6.15: {executions} executions in ", run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SIGTERM_ends_a_long_run_early_with_its_findings_written()
    {
        var dir = Directory.CreateTempSubdirectory("ff-term-").FullName;
        try
        {
            // v5.7 shows violations within its first few thousand executions; the run would last ten minutes.
            var run = Fuzzfarm.RunAndTerminate(TimeSpan.FromSeconds(2), "fuzz", "--profile", "v5.7", "--seconds", "600", "--out", dir);

            Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stderr}");
            Assert.StartsWith("fuzz v5.7: ", run.Stdout, StringComparison.Ordinal);
            var repros = Directory.GetFiles(dir, "*.ff").Where(f => !f.EndsWith(".original.ff", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(repros);
            Assert.Contains($"of {repros.Count} signature(s)", run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
