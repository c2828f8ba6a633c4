using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>MAP_POPULATE of a private writable mapping makes its pages a table at a time: as the faults page by page do.</summary>
public class PopulateRunTests
{
    private const long Len = 3 << 20;

    [Theory]
    [InlineData(Flag.Rw)]
    [InlineData(Flag.R)]
    public void PopulateLeavesWhatFaultsPageByPageLeave(Flag prot)
    {
        var populated = new Rig("v5.19");
        var faulted = new Rig("v5.19");
        // A page before, so that pfns and anon_vmas do not start from scratch.
        populated.Store(populated.T0, populated.Map(4096));
        faulted.Store(faulted.T0, faulted.Map(4096));
        var a = populated.Map(Len, Flag.Private | Flag.Populate, prot);
        var b = faulted.Map(Len, Flag.Private, prot);
        var kind = prot == Flag.Rw ? FaultKind.Write : FaultKind.Read;
        for (var off = 0UL; off < Len; off += 4096)
        {
            Assert.Equal(FaultResult.Ok, faulted.K.Fault(faulted.T0, faulted.P0, b + off, kind));
        }
        Assert.Equal(faulted.P0.Tables.Select(t => t.Index - (b >> Geometry.PmdShift)), populated.P0.Tables.Select(t => t.Index - (a >> Geometry.PmdShift)));
        Assert.Equal(faulted.P0.FindVma(b)!.AnonVma, populated.P0.FindVma(a)!.AnonVma);
        for (var off = 0UL; off < Len; off += 4096)
        {
            var want = Rig.PteOf(faulted.P0, b + off);
            var got = Rig.PteOf(populated.P0, a + off);
            Assert.Equal((want.Folio!.Pfn, want.Sub, want.Flags, want.Grant, want.MappedBy), (got.Folio!.Pfn, got.Sub, got.Flags, got.Grant, got.MappedBy));
            Assert.Equal((want.Folio.RefCount, want.Folio.Mapcount(0), want.Folio.Exclusive[0], want.Folio.Anon, want.Folio.Origin),
                (got.Folio.RefCount, got.Folio.Mapcount(0), got.Folio.Exclusive[0], got.Folio.Anon, got.Folio.Origin));
            Assert.Equal((faulted.K.Diverged(want.Folio, 0), faulted.K.CopySource(want.Folio.Pfn)), (populated.K.Diverged(got.Folio, 0), populated.K.CopySource(got.Folio.Pfn)));
        }
        Assert.Equal(faulted.K.Coverage.Unordered.ToArray(), populated.K.Coverage.Unordered.ToArray());
    }
}
