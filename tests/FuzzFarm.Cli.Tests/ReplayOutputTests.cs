using System.Text.Json;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>The replay output of machine.md §4 through the real process: keys, order, exit codes, trace.</summary>
public sealed class ReplayOutputTests
{
    private static string Seed(string name) => Path.Combine(RepoPaths.Seeds, name);

    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public void Json_of_a_violation_has_the_documented_keys_in_order()
    {
        var run = Fuzzfarm.Run("replay", Seed("s2-vmsplice-thp.ff"), "--profile", "v5.9", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal(["profile", "verdict", "violations", "observations", "skipped", "executions"], Keys(root));
        Assert.Equal("v5.9", root.GetProperty("profile").GetString());
        Assert.Equal("violation", root.GetProperty("verdict").GetString());
        Assert.Equal(1, root.GetProperty("executions").GetInt32());
        var violation = Assert.Single(root.GetProperty("violations").EnumerateArray().ToList());
        Assert.Equal(["kind", "signature", "line", "thread", "detail"], Keys(violation));
        Assert.Equal("cross-process-visibility", violation.GetProperty("kind").GetString());
        Assert.Equal("t1", violation.GetProperty("thread").GetString());
        Assert.Equal(14, violation.GetProperty("line").GetInt32());
        var observation = Assert.Single(root.GetProperty("observations").EnumerateArray().ToList());
        Assert.Equal(["line", "thread", "op", "values"], Keys(observation));
        Assert.Equal("read", observation.GetProperty("op").GetString());
    }

    [Fact]
    public void Json_of_a_fixed_kernel_is_ok_with_exit_0_and_resolves_the_alias()
    {
        var run = Fuzzfarm.Run("replay", Seed("s2-vmsplice-thp.ff"), "--profile", "latest", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("v6.15", json.RootElement.GetProperty("profile").GetString());
        Assert.Equal("ok", json.RootElement.GetProperty("verdict").GetString());
        Assert.Empty(json.RootElement.GetProperty("violations").EnumerateArray());
    }

    [Fact]
    public void A_derived_profile_replays_a_proposed_fix()
    {
        // 5.9-rc4 with 5.9-rc7's fork rule is 5.9: the RDMA regression disappears.
        var run = Fuzzfarm.Run("replay", Seed("s5-rdma-fork-child-exits.ff"), "--profile", "v5.9-rc4+fork_copies_pinned=true", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("v5.9-rc4+fork_copies_pinned=true", json.RootElement.GetProperty("profile").GetString());
    }

    [Fact]
    public void Skipped_lines_are_reported_not_errors()
    {
        // The uffd-wp self-hang blocks t0 on v5.8; its later line is skipped.
        var dir = Directory.CreateTempSubdirectory("ff-skip-");
        try
        {
            var file = Path.Combine(dir.FullName, "skip.ff");
            File.WriteAllText(file, File.ReadAllText(Seed("s3-uffd-wp-self-hang.ff")) + "load(a)\n");

            var run = Fuzzfarm.Run("replay", file, "--profile", "v5.8", "--json");

            Assert.Equal(1, run.ExitCode);
            using var json = JsonDocument.Parse(run.Stdout);
            var skip = Assert.Single(json.RootElement.GetProperty("skipped").EnumerateArray().ToList());
            Assert.Equal(["line", "thread", "reason"], Keys(skip));
            Assert.Equal(13, skip.GetProperty("line").GetInt32());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_line_of_an_exited_thread_is_a_skip_not_an_invalid_program()
    {
        var dir = Directory.CreateTempSubdirectory("ff-exited-");
        try
        {
            var file = Path.Combine(dir.FullName, "exited.ff");
            File.WriteAllText(file, "a = mmap(4K, rw, private)\nt1 = fork()\nt1: exit()\nt1: store(a, 1)\n");

            var run = Fuzzfarm.Run("replay", file, "--profile", "v5.9", "--json");

            Assert.Equal(0, run.ExitCode);
            using var json = JsonDocument.Parse(run.Stdout);
            var skip = Assert.Single(json.RootElement.GetProperty("skipped").EnumerateArray().ToList());
            Assert.Equal(4, skip.GetProperty("line").GetInt32());
            Assert.Equal("thread exited", skip.GetProperty("reason").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Trace_adds_the_kernel_decisions_per_line_in_json()
    {
        var run = Fuzzfarm.Run("replay", Seed("s7-soft-dirty-stale-tlb.ff"), "--profile", "v5.11", "--json", "--trace");

        Assert.Equal(1, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal(["profile", "verdict", "violations", "observations", "skipped", "executions", "trace"], Keys(root));
        var trace = root.GetProperty("trace").EnumerateArray().ToList();
        Assert.Equal(10, trace.Count);
        Assert.All(trace, t => Assert.Equal(["line", "thread", "op", "events"], Keys(t)));
        var staleWrite = trace.Single(t => t.GetProperty("line").GetInt32() == 13);
        Assert.Contains(staleWrite.GetProperty("events").EnumerateArray(), e => e.GetString()!.Contains("stale TLB", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_names_the_verdict_the_signature_and_with_trace_indents_each_lines_decisions()
    {
        var plain = Fuzzfarm.Run("replay", Seed("s7-soft-dirty-stale-tlb.ff"), "--profile", "v5.11");
        var traced = Fuzzfarm.Run("replay", Seed("s7-soft-dirty-stale-tlb.ff"), "--profile", "v5.11", "--trace");

        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("on v5.11: violation", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("lost-write in clear_refs: no TLB flush [base]", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("trace:", plain.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, traced.ExitCode);
        var lines = traced.Stdout.Split('\n');
        var storeLine = Array.FindIndex(lines, l => l.TrimStart().StartsWith("13  store(a+8, 3)", StringComparison.Ordinal));
        Assert.True(storeLine > 0, traced.Stdout);
        Assert.StartsWith("         ", lines[storeLine + 1], StringComparison.Ordinal);
        Assert.Contains("stale TLB", lines[storeLine + 1], StringComparison.Ordinal);
    }
}
