using FuzzFarm.Export.Real;
using Xunit;

namespace FuzzFarm.Export.Tests;

public class DifferentialCompareTests
{
    private static RealOutput Real(params string[] lines) =>
        RealOutput.Parse("BEGIN kernel=6.18 steps=9\n" + string.Join('\n', lines) + "\nEND rc=0\n", 0);

    private static Prediction Machine(
        (int, string, string, IReadOnlyList<string>)[] observations, params (int, string, string, string)[] violations) =>
        new("v6.15", observations, violations);

    [Fact]
    public void Both_ok_with_the_same_writer_agree()
    {
        var c = Differential.Compare(Real("OBS line=4 thread=t0 op=load ok words=1 got=0x5700000020000000"),
            Machine([(4, "t0", "load", ["P0.t0@line2"])]));
        Assert.True(c.Agrees);
        Assert.Equal(1, c.Agreements);
    }

    [Fact]
    public void A_leak_the_machine_does_not_predict_is_a_disagreement_with_both_sides()
    {
        var c = Differential.Compare(
            Real("OBS line=13 thread=t1 op=read violation kind=cross-process-visibility word=0 got=0x57000000c0000000 want=0x5700000070000000 bad=1 words=512"),
            Machine([(13, "t1", "read", ["P0.t0@line7 x 512"])]));
        var d = Assert.Single(c.Disagreements);
        Assert.Contains("cross-process-visibility", d.Real, StringComparison.Ordinal);
        Assert.Equal("ok", d.Machine);
    }

    [Fact]
    public void The_same_violation_kind_at_the_same_line_agrees()
    {
        var c = Differential.Compare(
            Real("OBS line=13 thread=t1 op=read violation kind=cross-process-visibility word=0 got=0x1 want=0x2 bad=1 words=512"),
            Machine([(13, "t1", "read", ["P0.t0@line12", "0 x 511"])], (13, "t1", "cross-process-visibility", "sig")));
        Assert.True(c.Agrees);
    }

    [Fact]
    public void Reading_another_line_s_write_is_a_disagreement_even_when_both_say_ok()
    {
        var c = Differential.Compare(Real("OBS line=9 thread=t0 op=load ok words=1 got=0x5700000060000000"),
            Machine([(9, "t0", "load", ["P0.t0@line5"])]));
        Assert.Equal("load read line 6's write", Assert.Single(c.Disagreements).Real);
    }

    [Fact]
    public void O_direct_data_is_not_compared_by_writer()
    {
        var c = Differential.Compare(Real("OBS line=9 thread=t0 op=load ok words=1 got=0x4600000060000000"),
            Machine([(9, "t0", "load", ["P0.t0@line8/odirect"])]));
        Assert.True(c.Agrees);
    }

    [Fact]
    public void An_observation_only_one_side_made_is_a_disagreement()
    {
        var c = Differential.Compare(Real("OBS line=9 thread=t0 op=load ok words=1 got=0x0"),
            Machine([(10, "t1", "load", ["0"])]));
        Assert.Equal(2, c.Disagreements.Count);
    }

    [Fact]
    public void A_write_blocked_as_the_program_asked_agrees_and_a_kernel_hang_on_the_machine_does_not()
    {
        Assert.True(Differential.Compare(Real("BLOCKED line=5 thread=t0"), Machine([])).Agrees);
        Assert.False(Differential.Compare(Real("UNBLOCKED line=5 thread=t0"), Machine([])).Agrees);
        Assert.False(Differential.Compare(Real("BLOCKED line=5 thread=t0"), Machine([], (5, "t0", "hang", "hang in do_wp_page"))).Agrees);
    }

    [Fact]
    public void A_failed_run_is_a_disagreement_and_a_kernel_warn_only_a_note()
    {
        var failed = Differential.Compare(Real("ERROR line=3 thread=t0 op=madvise madvise errno=22 (Invalid argument)"), Machine([]));
        Assert.False(failed.Agrees);
        var warned = Differential.Compare(Real(), Machine([], (3, "t0", "kernel-warn", "kernel-warn in wp_page_copy")));
        Assert.True(warned.Agrees);
        Assert.Single(warned.Notes);
    }
}
