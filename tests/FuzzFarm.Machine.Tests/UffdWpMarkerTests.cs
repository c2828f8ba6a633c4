using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// uffd-wp PTE markers (5.19+): write protection of shmem and hugetlb entries that map nothing. A write through a
/// marker goes to the handler, so the last load of each program still reads the older value; where the kernel keeps
/// no marker, it reads the write.
/// </summary>
public class UffdWpMarkerTests
{
    [Theory]
    [InlineData("v6.2", "shared", "0")]
    [InlineData("v6.15", "shared", "0")]
    [InlineData("v6.2", "shared|hugetlb", "0")]
    [InlineData("v6.2", "private|hugetlb", "P0.t1@line6")]
    [InlineData("v6.15", "private|hugetlb", "0")]
    public void Protecting_an_empty_file_backed_entry_leaves_a_marker_that_catches_the_first_write(string profile, string flags, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen($"""
            a = mmap(2M, rw, {flags})
            u = uffd()
            uffd_register(u, a, 2M)
            uffd_wp(u, a, 2M, on)
            t1 = thread()
            t1: store(a, 1)
            load(a)
            """, profile));
    }

    [Theory]
    [InlineData("shared", "dontneed", "P0.t0@line2")]
    [InlineData("shared|hugetlb", "dontneed", "P0.t0@line2")]
    [InlineData("shared", "pageout", "P0.t0@line2")]
    public void Dontneed_and_pageout_keep_the_protection_of_a_file_page_in_a_marker(string flags, string advice, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen($"""
            a = mmap(2M, rw, {flags})
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 2M)
            uffd_wp(u, a, 2M, on)
            madvise(a, 2M, {advice})
            t1 = thread()
            t1: store(a, 2)
            load(a)
            """, "v6.15"));
    }

    [Fact]
    public void Unprotecting_clears_the_markers()
    {
        Assert.Equal("P0.t1@line7", Rig.LastSeen("""
            a = mmap(4K, rw, shared)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            uffd_wp(u, a, 4K, off)
            t1 = thread()
            t1: store(a, 1)
            load(a)
            """, "v6.15"));
    }

    [Fact]
    public void Anonymous_memory_gets_no_marker()
    {
        var r = new Rig("v6.15");
        var a = r.Map(4096);
        r.WriteProtect(a, 4096);

        Assert.Null(r.P0.Table(a));
    }

    [Fact]
    public void Munmap_drops_the_markers_of_its_range()
    {
        var r = new Rig("v6.15");
        var a = r.Map(8192, Flag.Shared);
        r.WriteProtect(a, 8192);
        Assert.True(Rig.PteOf(r.P0, a).IsUffdWpMarker);

        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a, 4096));

        Assert.False(Rig.PteOf(r.P0, a).IsUffdWpMarker);
        Assert.True(Rig.PteOf(r.P0, a + 4096).IsUffdWpMarker);
    }
}
