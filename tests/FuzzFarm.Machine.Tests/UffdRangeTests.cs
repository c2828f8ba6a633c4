using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// userfaultfd ranges: UFFDIO_REGISTER wants one VMA in its range and registers the VMAs there, holes and all;
/// UFFDIO_WRITEPROTECT wanted its range inside one registered VMA until 6.4, which walks every VMA, skipping holes.
/// </summary>
public class UffdRangeTests
{
    private const ulong Page = 0x1000;

    private static Rig Registered(string profile, out ulong a, out int u)
    {
        var r = new Rig(profile);
        a = r.Map(12 << 10);
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a + Page, (long)Page));
        u = r.K.NewUffd(r.T0);
        Assert.Equal(Status.Done, r.K.UffdRegister(r.T0, u, a, 12 << 10));
        return r;
    }

    [Fact]
    public void Register_takes_every_vma_of_a_range_with_a_hole()
    {
        var r = Registered("v5.9", out var a, out var u);

        Assert.Equal(u, r.P0.FindVma(a)!.Uffd);
        Assert.Equal(u, r.P0.FindVma(a + 2 * Page)!.Uffd);
    }

    [Fact]
    public void Register_of_a_range_with_no_vma_fails()
    {
        var r = new Rig("v6.15");
        var a = r.Map(8 << 10);
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a, 0x1000));
        var u = r.K.NewUffd(r.T0);

        Assert.Equal(Status.Failed, r.K.UffdRegister(r.T0, u, a, 0x1000));
        Assert.StartsWith("EINVAL", r.K.Error);
    }

    [Fact]
    public void Register_from_a_hole_before_a_hugetlb_vma_wants_a_2M_aligned_start()
    {
        var r = new Rig("v6.15");
        var a = r.Map(2 << 20, Flag.Private | Flag.Hugetlb);
        var u = r.K.NewUffd(r.T0);

        Assert.Equal(Status.Failed, r.K.UffdRegister(r.T0, u, a - Page, (2 << 20) + (long)Page));
        Assert.StartsWith("EINVAL", r.K.Error);
        Assert.Equal(Status.Done, r.K.UffdRegister(r.T0, u, a - (2 << 20), 4 << 20));
    }

    [Theory]
    [InlineData("v6.2", false)]
    [InlineData("v6.15", true)]
    public void Write_protect_over_a_hole_needs_the_multi_vma_walk(string profile, bool done)
    {
        var r = Registered(profile, out var a, out var u);
        r.Store(r.T0, a + 2 * Page);

        Assert.Equal(done ? Status.Done : Status.Failed, r.K.UffdWp(r.T0, u, a, 12 << 10, on: true, null));
        Assert.Equal(done, (Rig.PteOf(r.P0, a + 2 * Page).Flags & PteFlags.UffdWp) != 0);
    }

    [Theory]
    [InlineData("v6.2", false)]
    [InlineData("v6.15", true)]
    public void Write_protect_across_two_vmas_needs_the_multi_vma_walk(string profile, bool done)
    {
        var r = new Rig(profile);
        var a = r.Map(8 << 10);
        var u = r.K.NewUffd(r.T0);
        Assert.Equal(Status.Done, r.K.UffdRegister(r.T0, u, a, 8 << 10));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, (long)Page, Flag.R, null));

        Assert.Equal(done ? Status.Done : Status.Failed, r.K.UffdWp(r.T0, u, a, 8 << 10, on: true, null));
    }

    [Fact]
    public void Write_protect_stops_at_an_unregistered_vma_keeping_what_it_changed()
    {
        var r = new Rig("v6.15");
        var a = r.Map(8 << 10);
        var u = r.K.NewUffd(r.T0);
        Assert.Equal(Status.Done, r.K.UffdRegister(r.T0, u, a, (long)Page));
        r.Store(r.T0, a);

        Assert.Equal(Status.Failed, r.K.UffdWp(r.T0, u, a, 8 << 10, on: true, null));
        Assert.StartsWith("ENOENT", r.K.Error);
        Assert.NotEqual(default, Rig.PteOf(r.P0, a).Flags & PteFlags.UffdWp);
    }
}
