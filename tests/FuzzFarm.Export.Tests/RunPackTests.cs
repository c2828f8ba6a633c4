using FuzzFarm.Export.Emit;
using Xunit;

namespace FuzzFarm.Export.Tests;

public class RunPackTests
{
    private static HashSet<(int, ulong)> Expand(IEnumerable<Run> runs) =>
        [.. runs.SelectMany(r => Enumerable.Range(r.First, r.Count).Select(w => (w, r.Base + ((ulong)(w - r.First) * (ulong)r.Step))))];

    [Fact]
    public void Zero_page_and_memset_pack_into_one_run_each()
    {
        var zeros = Enumerable.Range(0, 512).Select(w => (w, 0UL));
        var memset = Enumerable.Range(0, 512).Select(w => (w, 0x5700_0000_7000_0000UL + (ulong)w));
        var runs = Run.Pack(zeros.Concat(memset));
        Assert.Equal(2, runs.Count);
        Assert.Contains(new Run(0, 512, 0, 0), runs);
        Assert.Contains(new Run(0, 512, 0x5700_0000_7000_0000UL, 1), runs);
    }

    [Fact]
    public void Packing_covers_exactly_the_pairs()
    {
        var rng = new Random(7);
        var pairs = Enumerable.Range(0, 300).Select(_ => (rng.Next(64), (ulong)rng.Next(40))).ToList();
        Assert.Equal(pairs.ToHashSet(), Expand(Run.Pack(pairs)));
    }
}
