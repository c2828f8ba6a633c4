using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Which mappings userfaultfd write-protect mode takes, and how its bit survives swap-out: do_swap_page maps a swap
/// entry carrying it write-protected (pte_swp_uffd_wp: pte_mkuffd_wp + pte_wrprotect) whatever its reuse rule says.
/// </summary>
public class UffdWpTests
{
    [Theory]
    [InlineData("v5.18", Flag.Private | Flag.Hugetlb, false)]
    [InlineData("v5.18", Flag.Shared, false)]
    [InlineData("v5.19", Flag.Private | Flag.Hugetlb, true)]
    [InlineData("v5.19", Flag.Shared, true)]
    [InlineData("v5.7", Flag.Private, true)]
    public void Write_protect_mode_takes_shmem_and_hugetlb_only_from_5_19(string profile, Flag flags, bool registers)
    {
        var r = new Rig(profile);
        var a = r.Map(2 << 20, flags);
        var u = r.K.NewUffd(r.T0);

        var status = r.K.UffdRegister(r.T0, u, a, 2 << 20);

        Assert.Equal(registers ? Status.Done : Status.Failed, status);
        Assert.Equal(registers ? u : -1, r.P0.FindVma(a)!.Uffd);
    }

    [Theory]
    [InlineData("v5.7")]
    [InlineData("v5.18")]
    [InlineData("v5.19")]
    public void A_write_to_a_swapped_out_write_protected_page_waits_for_the_handler(string profile)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        r.WriteProtect(a, 4096);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));
        Assert.True(Rig.PteOf(r.P0, a).IsSwap);
        var writer = r.K.NewThread(r.P0, 1, "t1");

        Assert.Equal(Status.Blocked, r.K.Store(writer, a, 99, null, out _));

        var pte = Rig.PteOf(r.P0, a);
        Assert.True(pte.Present);
        Assert.False(pte.Writable);
        Assert.Equal(PteFlags.UffdWp, pte.Flags & PteFlags.UffdWp);
    }

    /// <summary>
    /// Unprotecting took mprotect's upgrade of an exclusive anon PTE only in 6.3 (931298e103c2): before, the PTE came
    /// back from vm_get_page_prot, read-only, and the next store faults to reuse the page.
    /// </summary>
    [Theory]
    [InlineData("v6.0", false)]
    [InlineData("v6.2", false)]
    [InlineData("v6.15", true)]
    public void Unprotecting_an_exclusive_page_maps_it_writable_only_from_6_3(string profile, bool writable)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var u = r.WriteProtect(a, 4096);

        Assert.Equal(Status.Done, r.K.UffdWp(r.T0, u, a, 4096, false, null));

        Assert.Equal(writable, Rig.PteOf(r.P0, a).Writable);
    }

    /// <summary>
    /// A range registered with one userfaultfd is refused to another (EBUSY), but either may write-protect it; its
    /// faults still go to the first, whose handler here is not the blocked thread: 5.8's forced write waits, no hang.
    /// </summary>
    [Fact]
    public void A_second_userfaultfd_cannot_take_over_a_registered_range()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            t1 = thread()
            t1: v = uffd()
            t1: uffd_register(v, a, 4K)
            t1: uffd_wp(v, a, 4K, on)
            f = file(4K)
            t1: write(f, 0, a, 4K)
            uffd_resolve(u)
            t1: load(a)
            """);
        var result = new Oracle.Executor().Run(program, KernelProfile.Parse("v5.8"));

        Assert.Empty(result.Violations);
        Assert.Contains(result.Skipped, s => s.Line == 7 && s.Reason.Contains("EBUSY", StringComparison.Ordinal));
        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    /// <summary>
    /// pin_user_pages faults with the mmap lock held and no FAULT_FLAG_ALLOW_RETRY: handle_userfault fails the fault,
    /// so 5.8's forced write makes the handler's own slow pin fail (EFAULT), where a fast pin's fallback waits: S3. A
    /// long-term fast pin's fallback (__gup_longterm_unlocked) held the lock without `locked` too until 6.3.
    /// </summary>
    [Theory]
    [InlineData("r|longterm", false)]
    [InlineData("r|longterm|fast", false)]
    [InlineData("r|fast", true)]
    public void The_handlers_own_pin_hangs_on_5_8_only_when_it_may_retry(string flags, bool hangs)
    {
        var program = ProgramParser.Parse($"""
            a = mmap(4K, rw, private)
            store(a, 1)
            t1 = fork()
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            h = pin(a, 4K, {flags})
            """);
        var result = new Oracle.Executor().Run(program, KernelProfile.Parse("v5.8"));

        Assert.Equal(hangs, result.Violations.Any(v => v.Kind == Oracle.ViolationKind.Hang));
        Assert.Equal(!hangs, result.Skipped.Any(s => s.Line == 7 && s.Reason.Contains("EFAULT", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("v5.7", true)]
    [InlineData("v6.2", true)]
    [InlineData("v6.15", false)]
    public void A_long_term_fast_pin_on_a_protected_page_fails_with_EFAULT_until_its_fallback_may_retry(string profile, bool fails)
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            h = pin(a, 4K, rw|longterm|fast)
            load(a)
            """);
        var result = new Oracle.Executor().Run(program, KernelProfile.Parse(profile));

        Assert.Equal(fails, result.Skipped.Any(s => s.Line == 6 && s.Reason.Contains("EFAULT", StringComparison.Ordinal)));
        // From 6.3 the handler waits on its own range: its later lines are skipped.
        Assert.Equal(!fails, result.Skipped.Any(s => s.Line == 7));
    }

    /// <summary>
    /// Before 5.14 fork copied a swap entry whole, uffd-wp bit included: the child's swap-in maps the page
    /// write-protected and its write goes through do_wp_page, which copies (the parent's pipe holds a reference)
    /// instead of reusing by mapcount+swapcount. v5.7 still reuses in do_wp_page; v5.8 hangs on the parent's own
    /// vmsplice (forced write on its uffd-wp page).
    /// </summary>
    [Fact]
    public void A_forked_swap_entry_keeps_its_uffd_wp_bit_before_5_14()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            madvise(a, 4K, pageout)
            t1 = fork()
            load(a)
            p = pipe()
            vmsplice(p, a, 4K)
            munmap(a, 4K)
            t1: store(a, 2)
            read(p, 4K)
            """);

        Assert.Equal(["v5.7", "v5.8"], Rig.ViolatingProfiles(program));
    }

    /// <summary>5.8's forced write on the handler's range is no hang when another thread serves it later.</summary>
    [Theory]
    [InlineData("t1: uffd_resolve(u)")]
    [InlineData("t1: uffd_wp(u, a, 4K, off)")]
    public void A_forced_wait_another_thread_serves_later_is_no_hang(string serve)
    {
        var program = ProgramParser.Parse($"""
            a = mmap(4K, rw, private)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            t1 = thread()
            f = file(4K)
            write(f, 0, a, 4K)
            {serve}
            load(a)
            """);

        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    /// <summary>
    /// t0's forced write on b waits for b's handler t1; t1's own store then waits for a's handler t0. The cycle closes
    /// after the forced wait, and is still the kernel's doing on 5.8.
    /// </summary>
    [Fact]
    public void A_cycle_closed_after_the_forced_wait_is_a_hang_on_5_8()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            store(a, 1)
            store(b, 2)
            u0 = uffd()
            uffd_register(u0, a, 4K)
            uffd_wp(u0, a, 4K, on)
            t1 = thread()
            t1: u1 = uffd()
            t1: uffd_register(u1, b, 4K)
            t1: uffd_wp(u1, b, 4K, on)
            p = pipe()
            vmsplice(p, b, 4K)
            t1: store(a, 3)
            """);

        Assert.Equal(["v5.8"], Rig.ViolatingProfiles(program));
        var hang = Assert.Single(new Oracle.Executor().Run(program, KernelProfile.Parse("v5.8")).Violations);
        Assert.Equal(13, hang.Line);
    }
}
