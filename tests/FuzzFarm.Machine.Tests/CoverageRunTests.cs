using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Walkers treat a split PMD's template entries run by run: the features a run records must be those the per-subpage
/// hits record, whatever the refcount crosses on the way and whether or not the subpages share a mapcount.
/// </summary>
public class CoverageRunTests
{
    [Theory]
    [InlineData(1, 1, 0, 512, false)]
    [InlineData(3, 1, 17, 300, false)]
    [InlineData(4090, 1, 0, 512, false)]
    [InlineData(513, -1, 0, 512, false)]
    [InlineData(4100, -1, 100, 40, false)]
    [InlineData(-3, 1, 0, 9, false)]
    [InlineData(7, 0, 5, 64, false)]
    [InlineData(2, 1, 0, 512, true)]
    [InlineData(600, -1, 30, 200, true)]
    public void A_run_records_the_features_of_its_subpages_one_by_one(int refStart, int refStep, int first, int count, bool mixedMapcounts)
    {
        var folio = NewFolio(mixedMapcounts);
        var byRun = new Coverage();
        var bySubpage = new Coverage();

        byRun.HitRun(CovPoint.ForkShare, folio, first, count, refStart, refStep);
        for (var k = 0; k < count; k++)
        {
            folio.RefCount = refStart + k * refStep;
            bySubpage.Hit(CovPoint.ForkShare, folio, first + k);
        }

        Assert.Equal(bySubpage.Unordered.ToArray().Order(), byRun.Unordered.ToArray().Order());
    }

    [Theory]
    [InlineData(1, 1, 0, 1, 0, 512, false)]
    [InlineData(3, 1, 5, 1, 17, 300, false)]
    [InlineData(4090, 1, 0, 0, 0, 512, false)]
    [InlineData(2, 1, 1, 1, 0, 512, true)]
    [InlineData(60, 0, 14, 1, 30, 200, true)]
    public void A_huge_run_records_the_features_of_its_subpages_one_by_one_in_their_order(int refStart, int refStep, int pinStart, int pinStep,
        int first, int count, bool mixedMapcounts)
    {
        var folio = NewFolio(mixedMapcounts);
        var byRun = new Coverage();
        var bySubpage = new Coverage();

        byRun.HitHugeRun(CovPoint.GupPin, folio, first, count, refStart, pinStart, refStep, pinStep);
        for (var k = 0; k < count; k++)
        {
            folio.RefCount = refStart + k * refStep;
            folio.PinCount = pinStart + k * pinStep;
            bySubpage.Hit(CovPoint.GupPin, folio, first + k, pmdMapped: true);
        }

        Assert.Equal(bySubpage.Unordered.ToArray(), byRun.Unordered.ToArray());
    }

    private static Folio NewFolio(bool mixedMapcounts)
    {
        var folio = new Folio(Geometry.PmdNr) { Anon = true, PinCount = 2, CompoundMapcount = 1 };
        folio.AddPteMapAll();
        if (mixedMapcounts)
        {
            for (var sub = 0; sub < Geometry.PmdNr; sub += 37)
            {
                folio.AddPteMaps(sub, 1, sub % 3 + 1);
            }
        }
        return folio;
    }
}
