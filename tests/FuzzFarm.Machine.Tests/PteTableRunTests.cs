using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// <see cref="PteTable.AtRun"/> does for a run of entries what <see cref="PteTable.At"/> does entry by entry: a
/// split table's template entries get their own values and lose any known-none mark, a word of entries at a time, and
/// a table's used entries are listed in the order they were first used.
/// </summary>
public class PteTableRunTests
{
    [Theory]
    [InlineData(0, 512)]
    [InlineData(3, 200)]
    [InlineData(60, 10)]
    [InlineData(64, 64)]
    [InlineData(130, 1)]
    [InlineData(448, 64)]
    public void A_run_of_a_split_table_is_written_as_entry_by_entry(int first, int count)
    {
        var folio = new Folio(Geometry.PmdNr) { Anon = true };
        var byRun = Split(folio);
        var byEntry = Split(folio);

        byRun.AtRun(first, count);
        for (var i = first; i < first + count; i++)
        {
            byEntry.At(i);
        }

        for (var i = 0; i < Geometry.PmdNr; i++)
        {
            Assert.Equal(byEntry.IsTemplate(i), byRun.IsTemplate(i));
            Assert.Equal(byEntry.IsKnownNone(i), byRun.IsKnownNone(i));
            Assert.Equal(byEntry.Peek(i), byRun.Peek(i));
        }
    }

    [Fact]
    public void A_run_lists_its_entries_after_those_used_before_in_order()
    {
        var fresh = new PteTable();
        fresh.AtRun(5, 20);
        Assert.Equal(Enumerable.Range(5, 20).Select(i => (short)i), fresh.Used.ToArray());

        var used = new PteTable();
        used.At(12);
        used.AtRun(5, 20);
        Assert.Equal(new short[] { 12 }.Concat(Enumerable.Range(5, 20).Where(i => i != 12).Select(i => (short)i)), used.Used.ToArray());
    }

    /// <summary>A split table with written entries (one changed), a zapped stretch across a word, and one entry of it asked for since.</summary>
    private static PteTable Split(Folio folio)
    {
        var table = new PteTable();
        table.MapAll(folio, PteFlags.Present | PteFlags.Write, Decision.ForkShare, Decision.ForkShare);
        table.At(7).Flags &= ~PteFlags.Write;
        table.At(66);
        table.ClearTemplate(100, 140);
        table.At(120);
        return table;
    }
}
