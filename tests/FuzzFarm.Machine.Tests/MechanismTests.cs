using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>Counts and flags after the kernel paths, checked against kernel-history.md §2.</summary>
public class MechanismTests
{
    [Fact]
    public void ForkSharesAnonPagesWriteProtected()
    {
        var r = new Rig("v5.9");
        var a = r.SharedWithChild(out var c);
        var f = Rig.FolioOf(r.P0, a);
        Assert.Same(f, Rig.FolioOf(c.Process, a));
        Assert.Equal(2, f.Mapcount(0));
        Assert.Equal(2, f.RefCount);
        Assert.False(Rig.PteOf(r.P0, a).Writable);
        Assert.False(Rig.PteOf(c.Process, a).Writable);
    }

    [Fact]
    public void ForkSharesEachMappedSubpageOfAPteMappedThpWriteProtected()
    {
        var r = new Rig("v5.7");
        var a = r.MapThp();
        // Unmapping the last subpage splits the PMD and leaves a VMA that covers only part of the table.
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a + (2 << 20) - 4096, 4096));
        r.Store(r.T0, a + 8192);
        var f = Rig.FolioOf(r.P0, a);
        Assert.True(f.Large);
        var refs = f.RefCount;
        var c = r.Fork(r.T0, 1);
        Assert.Equal(refs + 511, f.RefCount);
        for (var i = 0; i < 512; i++)
        {
            var at = a + ((ulong)i << 12);
            var mapped = i < 511;
            Assert.Equal(mapped ? 2 : 0, f.Mapcount(i));
            Assert.Equal(mapped, Rig.PteOf(c.Process, at).Folio == f && Rig.PteOf(c.Process, at).Sub == i);
            Assert.False(Rig.PteOf(c.Process, at).Writable);
            Assert.False(Rig.PteOf(r.P0, at).Writable);
        }
    }

    [Fact]
    public void VmspliceTakesOneReferencePerPageAndMunmapDropsTheMapping()
    {
        var r = new Rig("v5.7");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var c = r.Fork(r.T0, 1);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(c, pipe, a, 4096, 0));
        var f = Rig.FolioOf(r.P0, a);
        Assert.Equal(3, f.RefCount);
        Assert.Equal(Status.Done, r.K.Munmap(c, a, 4096));
        Assert.Equal(1, f.Mapcount(0));
        Assert.Equal(2, f.RefCount);
    }

    [Fact]
    public void PinOfASmallPageAddsTheBiasAndSetsHasPinned()
    {
        var r = new Rig("v5.9");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.Rw | Flag.LongTerm, out var pin));
        var f = Rig.FolioOf(r.P0, a);
        Assert.Equal(1 + 1024, f.RefCount);
        Assert.True(f.MaybeDmaPinned);
        Assert.True(r.P0.HasPinned);
        Assert.Equal(Status.Done, r.K.Unpin(pin));
        Assert.Equal(1, f.RefCount);
        Assert.False(f.MaybeDmaPinned);
    }

    [Fact]
    public void PinOfATHPCountsInThePincount()
    {
        var r = new Rig("v5.9");
        var a = r.MapThp();
        var f = Rig.FolioOf(r.P0, a);
        Assert.True(f.Large);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a + 0x3000, 4096, Flag.R, out _));
        Assert.Equal(2, f.RefCount);
        Assert.Equal(1, f.PinCount);
        Assert.True(f.MaybeDmaPinned);
    }

    [Fact]
    public void PartialMunmapSplitsThePmdAddingOneReferencePerPte()
    {
        var r = new Rig("v5.9");
        var a = r.MapThp();
        var f = Rig.FolioOf(r.P0, a);
        Assert.Equal(1, f.CompoundMapcount);
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a, 4096));
        Assert.Null(r.P0.Table(a)!.Huge);
        Assert.Equal(0, f.CompoundMapcount);
        Assert.Equal(0, f.PteMapcount(0));
        Assert.Equal(1, f.PteMapcount(1));
        Assert.Equal(511, f.RefCount);
        Assert.Same(f, Rig.PteOf(r.P0, a + 0x1000).Folio);
    }

    [Fact]
    public void ASplitThpIsSharedByForkWriteProtectedByClearRefsAndUnmappedSubpageBySubpage()
    {
        // DONTNEED of one subpage splits the PMD inside one VMA: the other 511 entries stay the split's template.
        var r = new Rig("v5.9");
        var a = r.MapThp(0x1000);
        var f = Rig.FolioOf(r.P0, a);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.DontNeed));
        Assert.Equal(511, f.RefCount);

        var c = r.Fork(r.T0, 1);
        var child = c.Process;
        Assert.True(Rig.PteOf(child, a).IsNone);
        foreach (var sub in new[] { 1, 7, 200, 511 })
        {
            var at = a + ((ulong)sub << 12);
            Assert.Same(f, Rig.PteOf(child, at).Folio);
            Assert.Equal(sub, Rig.PteOf(child, at).Sub);
            Assert.False(Rig.PteOf(r.P0, at).Writable);
            Assert.False(Rig.PteOf(child, at).Writable);
            Assert.Equal(2, f.PteMapcount(sub));
            Assert.False(f.Exclusive[sub]);
        }
        Assert.Equal(511 * 2, f.RefCount);

        // The child's write copies one subpage; clear_refs write-protects that copy and the shared rest alike.
        r.Store(c, a + 0x7000);
        var copy = Rig.PteOf(child, a + 0x7000).Folio!;
        Assert.NotSame(f, copy);
        Assert.True(Rig.PteOf(child, a + 0x7000).Writable);
        Assert.Equal(Status.Done, r.K.ClearRefs(c, c, null));
        Assert.False(Rig.PteOf(child, a + 0x7000).Writable);
        Assert.Equal(PteFlags.None, Rig.PteOf(child, a + 0x7000).Flags & PteFlags.SoftDirty);
        Assert.Equal(PteFlags.None, Rig.PteOf(child, a + 0x8000).Flags & PteFlags.SoftDirty);
        Assert.Same(f, Rig.PteOf(child, a + 0x8000).Folio);

        // Unmapping the child's whole range drops its 510 shared subpages and its copy.
        Assert.Equal(Status.Done, r.K.Munmap(c, a, 2 << 20));
        Assert.Equal(511, f.RefCount);
        Assert.Equal(1, f.PteMapcount(7));
        Assert.Equal(1, f.PteMapcount(8));
        Assert.True(copy.Freed);
    }

    [Theory]
    [InlineData("v5.7", true)]
    [InlineData("v5.9-rc4", false)]
    [InlineData("v5.18", false)]
    [InlineData("v5.19", false)] // fork cleared PageAnonExclusive: "fork() [is] still problematic" (6c287605fd56)
    public void BaseReuseWithAnExtraReferenceAfterTheChildExits(string profile, bool reuse)
    {
        // The S5 shape without a pin: a FOLL_GET reference (a pipe) raises page_count, mapcount is back to 1.
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(r.T0, pipe, a, 4096, 0));
        var c = r.Fork(r.T0, 1);
        Assert.Equal(Status.Done, r.K.Exit(c));
        var before = Rig.FolioOf(r.P0, a);
        r.Store(r.T0, a);
        Assert.Equal(reuse, Rig.FolioOf(r.P0, a) == before);
    }

    [Fact]
    public void AnonExclusivePageIsReusedDespiteExtraReferences()
    {
        var r = new Rig("v5.19");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(r.T0, pipe, a, 4096, 0));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.R, null));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.Rw, null));
        var before = Rig.FolioOf(r.P0, a);
        Assert.True(before.Exclusive[0]);
        var l = r.Store(r.T0, a);
        Assert.Same(before, l.Folio);
        Assert.Equal(Decision.WpReuseExclusive, l.Grant);
    }

    [Theory]
    [InlineData("v5.8", false)]
    [InlineData("v5.9", true)]
    public void ForkCopiesPinnedPagesForTheChildAndLeavesTheParentWritable(string profile, bool copies)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.Rw, out _));
        var c = r.Fork(r.T0, 1);
        Assert.Equal(copies, Rig.FolioOf(c.Process, a) != Rig.FolioOf(r.P0, a));
        Assert.Equal(copies, Rig.PteOf(r.P0, a).Writable);
    }

    [Fact]
    public void ForkCopiesEverySubpageOfAPinnedSplitThpInEachVmaAndLeavesTheParentsEntries()
    {
        // mprotect of the upper half splits the VMA and the PMD; fork copies each maybe-pinned subpage on both sides.
        var r = new Rig("v5.9");
        var a = r.MapThp();
        var f = Rig.FolioOf(r.P0, a);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.Rw, out _));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + (1 << 20), 1 << 20, Flag.R, null));
        var refs = f.RefCount;

        var c = r.Fork(r.T0, 1);

        var copies = new HashSet<Folio>();
        for (var sub = 0; sub < Geometry.PmdNr; sub++)
        {
            var at = a + ((ulong)sub << 12);
            var copy = Rig.PteOf(c.Process, at);
            Assert.NotSame(f, copy.Folio);
            Assert.Equal(0, copy.Sub);
            Assert.Equal(1, copy.Folio!.RefCount);
            Assert.Equal(1, copy.Folio.Mapcount(0));
            Assert.Equal(sub < 256, copy.Writable);
            copies.Add(copy.Folio);
            var parent = Rig.PteOf(r.P0, at);
            Assert.Same(f, parent.Folio);
            Assert.Equal(sub, parent.Sub);
            Assert.Equal(sub < 256, parent.Writable);
            Assert.Equal(1, f.PteMapcount(sub));
        }
        Assert.Equal(Geometry.PmdNr, copies.Count);
        Assert.Equal(refs, f.RefCount);
    }

    [Fact]
    public void APageFaultedBackIntoAZappedRunOfASplitThpIsCopiedAtForkAndZappedByMunmap()
    {
        // dontneed of part of a THP leaves a run of zapped entries that walkers skip; a later fault inside the run
        // must make that entry count again for fork, clear_refs and munmap.
        var r = new Rig("v5.9");
        var a = r.MapThp();
        const ulong Zapped = 16 << 12;
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + Zapped, 16 << 12, Flag.DontNeed));
        var back = a + Zapped + (5 << 12);
        r.Store(r.T0, back);
        var written = r.Load(r.T0, back);
        var page = Rig.PteOf(r.P0, back).Folio!;

        var c = r.Fork(r.T0, 1);

        Assert.Same(page, Rig.PteOf(c.Process, back).Folio);
        Assert.Equal(written, r.Load(c, back));
        Assert.Equal(2, page.Mapcount(0));
        Assert.True(Rig.PteOf(c.Process, back - (1 << 12)).IsNone);
        Assert.True(Rig.PteOf(c.Process, back + (1 << 12)).IsNone);
        Assert.False(Rig.PteOf(c.Process, a).IsNone);

        Assert.Equal(Status.Done, r.K.Munmap(c, a, 2 << 20));
        Assert.Equal(1, page.Mapcount(0));
        Assert.Equal(written, r.Load(r.T0, back));
    }

    [Theory]
    [InlineData("v5.7", true)]
    [InlineData("v5.9", true)]
    [InlineData("v5.18", false)]
    public void PmdThpWriteFaultAfterTheChildUnmaps(string profile, bool reuse)
    {
        var r = new Rig(profile);
        var a = r.MapThp();
        var c = r.Fork(r.T0, 1);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(c, pipe, a, 4096, 0));
        Assert.Equal(Status.Done, r.K.Munmap(c, a, 2 << 20));
        var thp = Rig.FolioOf(r.P0, a);
        Assert.Equal(1, thp.CompoundMapcount);
        Assert.Equal(2, thp.RefCount);
        r.Store(r.T0, a);
        Assert.Equal(reuse, r.P0.Table(a)!.Huge == thp);
        if (!reuse)
        {
            Assert.Null(r.P0.Table(a)!.Huge);
            Assert.NotSame(thp, Rig.PteOf(r.P0, a).Folio);
            Assert.Same(thp, Rig.PteOf(r.P0, a + 0x1000).Folio);
        }
    }

    [Fact]
    public void V57CopiesTheWholeThpWhenShared()
    {
        var r = new Rig("v5.7");
        var a = r.MapThp(0x5000);
        var c = r.Fork(r.T0, 1);
        var thp = Rig.FolioOf(r.P0, a);
        var l = r.Store(r.T0, a);
        Assert.Equal(Decision.PmdCopyThp, l.Grant);
        Assert.NotSame(thp, r.P0.Table(a)!.Huge);
        Assert.Equal(r.Load(c, a + 0x5000), r.Load(r.T0, a + 0x5000));
        Assert.Equal(1, thp.CompoundMapcount);
    }

    [Fact]
    public void PageoutMovesTheContentsToSwapAndSwapInGoesThroughTheSwapcache()
    {
        var r = new Rig("v5.9");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var value = r.Load(r.T0, a);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));
        var pte = Rig.PteOf(r.P0, a);
        Assert.True(pte.IsSwap);
        Assert.Equal(1, r.K.Swap[pte.SwapSlot].Count);
        Assert.Null(r.K.Swap[pte.SwapSlot].Cached);
        var c = r.Fork(r.T0, 1);
        Assert.Equal(2, r.K.Swap[pte.SwapSlot].Count);
        Assert.Equal(value, r.Load(c, a));
        var f = Rig.FolioOf(c.Process, a);
        Assert.True(f.SwapCache);
        Assert.Equal(2, f.RefCount);
        Assert.Equal(1, r.K.Swap[pte.SwapSlot].Count);
        Assert.False(Rig.PteOf(c.Process, a).Writable);
    }

    [Theory]
    [InlineData("v5.9", false)]
    [InlineData("v5.11", true)]
    public void ClearRefsSkipsWritablePinnedPtesFrom511(string profile, bool skipped)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.Rw, out _));
        Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));
        Assert.Equal(skipped, Rig.PteOf(r.P0, a).Writable);
        Assert.Equal(Status.Done, r.K.Pagemap(r.T0, a, out var dirty));
        Assert.Equal(skipped, dirty);
    }

    [Fact]
    public void HugetlbForkSharesByCompoundMapcount()
    {
        var r = new Rig("v5.12");
        var a = r.Map(2 << 20, Flag.Private | Flag.Hugetlb);
        r.Store(r.T0, a);
        var c = r.Fork(r.T0, 1);
        var f = Rig.FolioOf(r.P0, a);
        Assert.True(f.Hugetlb);
        Assert.Equal(2, f.CompoundMapcount);
        Assert.Same(f, Rig.FolioOf(c.Process, a));
        Assert.Equal(Status.Done, r.K.Exit(c));
        var l = r.Store(r.T0, a);
        Assert.Equal(Decision.HugetlbReuseMapcount, l.Grant);
    }

    [Fact]
    public void HugetlbMunmapMustBeHugeAligned()
    {
        var r = new Rig("v5.12");
        var a = r.Map(2 << 20, Flag.Private | Flag.Hugetlb);
        Assert.Equal(Status.Failed, r.K.Munmap(r.T0, a, 4096));
        Assert.StartsWith("EINVAL", r.K.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v5.7", false)]
    [InlineData("v5.8", true)]
    public void ReadGupBreaksCowOnlyIn58(string profile, bool copied)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var c = r.Fork(r.T0, 1);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(c, pipe, a, 4096, 0));
        Assert.Equal(copied, Rig.FolioOf(c.Process, a) != Rig.FolioOf(r.P0, a));
    }

    [Fact]
    public void StoreThroughAStaleTlbEntryBypassesTheWriteProtectedPte()
    {
        var r = new Rig("v5.11");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));
        Assert.False(Rig.PteOf(r.P0, a).Writable);
        var l = r.Store(r.T0, a);
        Assert.Equal(Decision.ClearRefsNoFlush, l.Stale);
        Assert.False(Rig.PteOf(r.P0, a).Writable);
        Assert.Equal(Status.Done, r.K.Pagemap(r.T0, a, out var dirty));
        Assert.False(dirty);
    }

    [Fact]
    public void ClearRefsFlushesFrom512()
    {
        var r = new Rig("v5.12");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));
        var l = r.Store(r.T0, a);
        Assert.Equal(Decision.None, l.Stale);
        Assert.True(Rig.PteOf(r.P0, a).Writable);
        Assert.Equal(Status.Done, r.K.Pagemap(r.T0, a, out var dirty));
        Assert.True(dirty);
    }

    [Fact]
    public void SplitStoreBacksOffWhenThePteChangedMeanwhile()
    {
        var r = new Rig("v5.9");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(r.T0, pipe, a, 4096, 0));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.R, null));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.Rw, null));
        Assert.Equal(Status.Done, r.K.NewThreadIn(r.T0, 1, "t1", out var t1));
        var op = r.K.NewAsync(AsyncKind.Store, t1);
        Assert.Equal(Status.Pending, r.K.Store(t1, a, 100, op, out _));
        var old = Rig.FolioOf(r.P0, a);
        r.Store(r.T0, a + 8);
        var installedByT0 = Rig.FolioOf(r.P0, a);
        Assert.NotSame(old, installedByT0);
        Assert.Equal(Status.Done, r.K.FinishStore(op, out var l));
        Assert.Same(installedByT0, l.Folio);
        Assert.Equal(100UL, r.Load(r.T0, a));
    }

    [Fact]
    public void ProcessVmReadvPinsTheTargetsPagesUntilTheCopy()
    {
        // pin_user_pages_remote: FOLL_PIN on the target's mm, released when the copy is done.
        var r = new Rig("v5.9");
        var a = r.SharedWithChild(out var reader);
        var f = Rig.FolioOf(r.P0, a);
        var op = r.K.NewAsync(AsyncKind.ProcessVmReadv, reader);

        Assert.Equal(Status.Pending, r.K.ProcessVmReadv(reader, r.T0, a, 4096, op, split: true));
        Assert.True(f.MaybeDmaPinned);
        Assert.True(r.P0.HasPinned);

        r.K.FinishProcessVmReadv(op, [], 0);
        Assert.False(f.MaybeDmaPinned);
    }

    [Theory]
    [InlineData("v5.18", false)]
    [InlineData("v5.19", true)]
    public void ProcessVmReadvOfASharedAnonPageUnsharesItFrom519(string profile, bool unshared)
    {
        var r = new Rig(profile);
        var a = r.SharedWithChild(out var child);
        var shared = Rig.FolioOf(r.P0, a);
        var op = r.K.NewAsync(AsyncKind.ProcessVmReadv, child);

        Assert.Equal(Status.Done, r.K.ProcessVmReadv(child, r.T0, a, 4096, op, split: false));

        Assert.Equal(unshared, !ReferenceEquals(shared, Rig.FolioOf(r.P0, a)));
    }
}
