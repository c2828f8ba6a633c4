using FuzzFarm.Export.Real;
using Xunit;

namespace FuzzFarm.Export.Tests;

/// <summary>The runtime's own machinery on this machine's kernel: ordering, checks, blocking, hangs.</summary>
public class RealKernelTests
{

    private static RealOutput Run(string source) => RealRunner.Run(Gcc.Builder.Build(source));

    private static RealOutput Run(params string[] lines) => Run(CExporter.Export(Programs.Parse(lines)));

    [Fact]
    public void A_tampered_expectation_is_reported_as_a_lost_write()
    {
        // The load reads line 3's token; make the export expect line 2's, which is in the history: a lost write.
        var c = CExporter.Export(Programs.Parse("a = mmap(4K, rw, private)", "store(a, 1)", "store(a, 2)", "load(a)"));
        var tampered = c.Replace("{0, 1, 0x5700000030000000ull, 1},\n};\nstatic const struct ff_run ff_hist",
            "{0, 1, 0x5700000020000000ull, 1},\n};\nstatic const struct ff_run ff_hist", StringComparison.Ordinal);
        Assert.NotEqual(c, tampered);
        var o = Assert.Single(Run(tampered).Observations);
        Assert.Equal("lost-write", o.ViolationKind);
        Assert.Contains("got=0x5700000030000000 want=0x5700000020000000", o.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_outside_the_history_is_cross_process_visibility()
    {
        var c = CExporter.Export(Programs.Parse("a = mmap(4K, rw, private)", "store(a, 1)", "load(a)"));
        var tampered = c.Replace("0x5700000020000000ull", "0x5700000090000000ull", StringComparison.Ordinal)
            .Replace("ff_store(ff_addr[1], 0x5700000090000000ull)", "ff_store(ff_addr[1], 0x5700000020000000ull)", StringComparison.Ordinal);
        Assert.Equal("cross-process-visibility", Assert.Single(Run(tampered).Observations).ViolationKind);
    }

    [Fact]
    public void Fork_vmsplice_and_io_uring_pins_run_in_program_order_and_agree_with_the_reference_model()
    {
        var output = Run(
            "a = mmap(8K, rw, private)", "store(a, 1)", "h = pin(a, 4K, rw|longterm)", "t1 = fork()", "t1: p = pipe()",
            "t1: vmsplice(p, a, 4K)", "store(a, 2)", "dma_write(h, 8, 3)", "t1: store(a+8, 4)", "t1: read(p, 16)",
            "load(a+8)", "dma_read(h, 0)", "t1: x = process_vm_readv(t0, a, 16)");
        Assert.True(output.Clean, string.Join("\n", output.Problems));
        Assert.Equal([10, 11, 12, 13], output.Observations.Select(o => o.Line));
        Assert.All(output.Observations, o => Assert.True(o.Ok, o.Text));
    }

    [Fact]
    public void Dontneed_gives_the_process_fresh_memory_while_the_pin_keeps_the_old_page()
    {
        var output = Run("a = mmap(4K, rw, private)", "store(a, 1)", "h = pin(a, 4K, rw)", "madvise(a, 4K, dontneed)",
            "load(a)", "store(a, 2)", "dma_read(h, 0)", "load(a)");
        Assert.True(output.Clean, string.Join("\n", output.Problems));
        Assert.All(output.Observations, o => Assert.True(o.Ok, o.Text));
        Assert.Equal([0UL, 0x5700000020000000UL, 0x5700000060000000UL], output.Observations.Select(o => o.Got!.Value));
    }

    [Fact]
    public void Results_the_program_does_not_bind_go_to_a_spare_slot()
    {
        var output = Run("mmap(4K, rw, private)", "a = mmap(4K, rw, private)", "pipe()", "pin(a, 4K, rw)", "file(4K)", "uffd()",
            "store(a, 1)", "load(a)");
        Assert.True(output.Clean, string.Join("\n", output.Problems));
        Assert.True(Assert.Single(output.Observations).Ok);
    }

    [Fact]
    public void A_child_that_exits_is_gone_before_the_next_line()
    {
        // If the parent's store ran while the child still mapped the page, nothing would show; what this checks is
        // that exit() ends its step through the watcher and the run goes on to the end.
        var output = Run("a = mmap(4K, rw, private)", "store(a, 1)", "t1 = fork()", "t1: exit()", "store(a, 2)", "load(a)");
        Assert.True(output.Clean, string.Join("\n", output.Problems));
        Assert.True(Assert.Single(output.Observations).Ok);
    }

    [Fact]
    public void A_write_blocked_on_userfaultfd_completes_when_served()
    {
        var output = Run(
            "a = mmap(8K, rw, private)", "store(a, 1)", "u = uffd()", "uffd_register(u, a, 8K)", "uffd_wp(u, a, 4K, on)",
            "t1 = thread()", "t1: store(a, 2)", "load(a)", "uffd_resolve(u)", "load(a)");
        Assert.True(output.Clean, string.Join("\n", output.Problems));
        Assert.Equal([8, 10], output.Observations.Select(o => o.Line));
        Assert.All(output.Observations, o => Assert.True(o.Ok, o.Text));
    }

    [Fact]
    public void A_handler_writing_its_own_protected_page_stays_blocked()
    {
        var output = Run("a = mmap(4K, rw, private|populate)", "u = uffd()", "uffd_register(u, a, 4K)", "uffd_wp(u, a, 4K, on)", "store(a, 1)");
        Assert.True(output.Clean, string.Join("\n", output.Problems));
        Assert.Equal((5, "t0"), Assert.Single(output.Blocked));
    }

    [Fact]
    public void A_failing_system_call_is_an_error_line_not_a_silent_pass()
    {
        var c = CExporter.Export(Programs.Parse("a = mmap(4K, rw, private)", "madvise(a, 4K, dontfork)", "load(a)"));
        var broken = c.Replace("madvise(ff_addr[1], 4096, MADV_DONTFORK)", "madvise(ff_addr[1] + 1, 4096, MADV_DONTFORK)", StringComparison.Ordinal);
        Assert.NotEqual(c, broken);
        var output = Run(broken);
        Assert.False(output.Clean);
        Assert.Contains(output.Problems, p => p.StartsWith("ERROR line=2 thread=t0 op=madvise", StringComparison.Ordinal));
    }
}
