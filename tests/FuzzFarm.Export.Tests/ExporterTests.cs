using FuzzFarm.Export.Reference;
using Xunit;

namespace FuzzFarm.Export.Tests;

public class ExporterTests
{
    private static ExportException Rejected(params string[] lines) =>
        Assert.Throws<ExportException>(() => CExporter.Export(Programs.Parse(lines)));

    [Fact]
    public void Export_is_deterministic_and_carries_the_program()
    {
        var program = Programs.Parse("a = mmap(4K, rw, private)", "store(a, 1)", "t1 = fork()", "t1: load(a)");
        var c = CExporter.Export(program);
        Assert.Equal(c, CExporter.Export(program));
        Assert.Contains(" *   t1: load(a)", c, StringComparison.Ordinal);
        Assert.Contains("#define FF_STEPS 4", c, StringComparison.Ordinal);
        Assert.Contains("ff_run_t1", c, StringComparison.Ordinal);
    }

    [Fact]
    public void Calls_over_a_hole_expect_their_partial_effect_and_error()
    {
        var c = CExporter.Export(Programs.Parse("a = mmap(16K, rw, private)", "munmap(a+4K, 4K)", "mprotect(a, 16K, r)",
            "madvise(a, 16K, dontneed)", "madvise(a+8K, 8K, dontneed)", "p = pipe()", "vmsplice(p, a+8K, 12K)", "vmsplice(p, a+8K, 8K)"));
        Assert.Contains("ff_expect_errno(mprotect(ff_addr[1], 16384, PROT_READ), ENOMEM, \"mprotect\", \"mprotect (ENOMEM expected)\");", c, StringComparison.Ordinal);
        Assert.Contains("ff_expect_errno(madvise(ff_addr[1], 16384, MADV_DONTNEED), ENOMEM", c, StringComparison.Ordinal);
        Assert.Contains("if (madvise((ff_addr[1] + 0x2000ull), 8192, MADV_DONTNEED) != 0) ff_fail(", c, StringComparison.Ordinal);
        Assert.Contains("ff_vmsplice(ff_pipes[2], (ff_addr[1] + 0x2000ull), 12288, 8192);", c, StringComparison.Ordinal);
        Assert.Contains("ff_vmsplice(ff_pipes[2], (ff_addr[1] + 0x2000ull), 8192, 8192);", c, StringComparison.Ordinal);
    }

    [Fact]
    public void Cutting_a_hugetlb_mapping_off_its_grid_fails_with_einval()
    {
        var c = CExporter.Export(Programs.Parse("a = mmap(4K, rw, private)", "b = mmap(4M, rw, private|hugetlb)", "store(b, 1)",
            "munmap(b, 3M)", "mprotect(b, 3M, rw)", "mprotect(b, 3M, r)", "store(b, 2)", "load(b+2M)"));
        Assert.Contains("ff_expect_errno(munmap(ff_addr[2], 3145728), EINVAL, \"munmap\"", c, StringComparison.Ordinal);
        // Already read-write: mprotect_fixup leaves the mapping whole and succeeds.
        Assert.Contains("if (mprotect(ff_addr[2], 3145728, PROT_READ | PROT_WRITE) != 0) ff_fail(", c, StringComparison.Ordinal);
        Assert.Contains("ff_expect_errno(mprotect(ff_addr[2], 3145728, PROT_READ), EINVAL, \"mprotect\"", c, StringComparison.Ordinal);
    }

    [Fact]
    public void Dontneed_of_part_of_a_huge_page_keeps_it()
    {
        // 6.1+ aligns a hugetlb MADV_DONTNEED down to whole huge pages: the second huge page keeps line 4's write.
        var c = CExporter.Export(Programs.Parse("b = mmap(4M, rw, private|hugetlb)", "store(b, 1)", "store(b+2M, 2)",
            "store(b+0x200008, 3)", "madvise(b, 3M, dontneed)", "load(b)", "load(b+0x200008)"));
        Assert.Contains("ff_want_5[] = {\n    {0, 1, 0x0ull, 1},\n};", c, StringComparison.Ordinal);
        Assert.Contains("ff_want_6[] = {\n    {0, 1, 0x5700000040000000ull, 1},\n};", c, StringComparison.Ordinal);
    }

    /// <summary>What the real process could not do, refused at its line with the reason.</summary>
    [Theory]
    [InlineData("a vmsplice that starts in a hole: EFAULT", 4, "EFAULT", "a = mmap(8K, rw, private)", "munmap(a, 4K)", "p = pipe()", "vmsplice(p, a, 8K)")]
    [InlineData("a uffd_register ending inside a hugetlb mapping off its grid", 4, "EINVAL", "b = mmap(4M, rw, private|hugetlb)", "store(b, 1)", "u = uffd()", "uffd_register(u, b, 3M)")]
    [InlineData("a uffd_wp of a hugetlb mapping with a length off the grid", 5, "EINVAL", "b = mmap(4M, rw, private|hugetlb)", "store(b, 1)", "u = uffd()", "uffd_register(u, b, 4M)", "uffd_wp(u, b, 4K, on)")]
    [InlineData("a store to a read-only mapping", 3, "SIGSEGV", "a = mmap(4K, r, private)", "load(a)", "store(a, 1)")]
    [InlineData("a read-only pin of a read-only mapping has no user-space form", 2, "FOLL_WRITE", "a = mmap(4K, r, private)", "h = pin(a, 4K, r|longterm)")]
    [InlineData("a pipe created after fork is not open in the other process", 4, "not open in t1's process", "a = mmap(4K, rw, private)", "t1 = fork()", "p = pipe()", "t1: vmsplice(p, a, 4K)")]
    public void Refused_at_its_line_with_the_reason(string what, int line, string reason, params string[] lines)
    {
        var e = Rejected(lines);
        Assert.True(e.Line == line, $"{what}: refused at line {e.Line}, expected {line}");
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_mapped_after_fork_is_not_mapped_in_the_child()
    {
        var e = Rejected("t1 = fork()", "a = mmap(4K, rw, private)", "t1: store(a, 1)");
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Write_protecting_a_page_never_faulted_in_is_refused()
    {
        // Without UFFD_FEATURE_WP_UNPOPULATED such a page takes no protection on the kernel, and the machine agrees.
        var e = Rejected("a = mmap(8K, rw, private)", "store(a, 1)", "u = uffd()", "uffd_register(u, a, 8K)", "uffd_wp(u, a, 8K, on)");
        Assert.Equal(5, e.Line);
        Assert.Contains("faulted in", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void O_direct_needs_aligned_buffers()
    {
        var e = Rejected("a = mmap(4K, rw, private)", "f = file(4K)", "pread_direct(f, 0, a+8, 512)");
        Assert.Equal(3, e.Line);
        Assert.Contains("512-byte aligned", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a = mmap(2M, rw, private|hugetlb)", Features.Hugetlb)]
    [InlineData("madvise(a, 2M, hugepage)", Features.Thp)]
    [InlineData("madvise(a, 4K, pageout)", Features.Swap)]
    [InlineData("h = pin(a, 4K, rw)", Features.IoUring)]
    [InlineData("f = file(4K)", Features.ODirect)]
    [InlineData("pagemap(a)", Features.SoftDirty)]
    [InlineData("u = uffd()", Features.Uffd)]
    public void Each_feature_is_declared_so_the_program_can_skip(string line, Features feature)
    {
        var lines = line.StartsWith("a = ", StringComparison.Ordinal) ? new[] { line } : ["a = mmap(2M, rw, private)", line];
        Assert.Equal(feature, CExporter.Prepare(Programs.Parse(lines)).Needs);
    }

    [Fact]
    public void Lines_of_a_thread_blocked_on_userfaultfd_are_skipped_until_it_is_served()
    {
        var exported = CExporter.Prepare(Programs.Parse(
            "a = mmap(4K, rw, private|populate)", "u = uffd()", "uffd_register(u, a, 4K)", "uffd_wp(u, a, 4K, on)", "t1 = thread()",
            "t1: store(a, 1)", "t1: store(a+8, 2)", "uffd_resolve(u)", "t1: store(a+8, 3)"));
        Assert.Equal([7], exported.SkippedLines);
    }

    [Fact]
    public void Split_ops_say_the_race_is_not_forced()
    {
        var c = CExporter.Export(Programs.Parse("a = mmap(4K, rw, private)", "t1 = thread()", "t1: c = store(a, 1) &", "load(a)", "t1: wait(c)"));
        Assert.Contains("the race the split names is not forced", c, StringComparison.Ordinal);
    }
}
