using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>The feature table answers as a 2^24-slot seen bitmap and a 2^16-slot counter table kept apart would.</summary>
public class FeatureTableTests
{
    private static uint SeenSlot(uint f) => (f * 0x9E3779B1u) >> 8;

    private static uint CountSlot(uint f) => (f * 0x9E3779B1u) >> 16;

    [Fact]
    public void SeenAndCountsMatchSeparateTablesFeatureByFeature()
    {
        var table = new FeatureTable();
        var seen = new HashSet<uint>();
        var counts = new Dictionary<uint, uint>();
        var random = new Random(11);
        // Feature values as the machine makes them (a point in the high half, a detail in the low), plus colliding
        // pairs: a multiple of 2^24 apart shares both slots, so within one list both count as new.
        var pool = Enumerable.Range(0, 3000).Select(_ => (uint)random.Next(1, 400) << 16 | (uint)random.Next(0, 64)).ToList();
        pool.AddRange(pool.Take(50).Select(f => f + (1u << 24) * 85));
        for (var run = 0; run < 2000; run++)
        {
            uint[] features = [.. Enumerable.Range(0, random.Next(0, 120)).Select(_ => pool[random.Next(pool.Count)]).Distinct()];
            var expectedNew = features.Count(f => !seen.Contains(SeenSlot(f)));
            Assert.Equal(expectedNew, table.CountNew(features));
            Assert.Equal(expectedNew, table.RecordAndCountNew(features));
            foreach (var f in features)
            {
                counts[CountSlot(f)] = counts.GetValueOrDefault(CountSlot(f)) + 1;
            }
            if (run % 7 == 0)
            {
                var added = features.Select(SeenSlot).Where(seen.Add).Count();
                Assert.Equal(added, table.Add(features));
            }
        }
        Assert.Equal(seen.Count, table.Count);
        Assert.All(pool, f => Assert.Equal(counts.GetValueOrDefault(CountSlot(f)), table.Of(f)));
    }

    [Fact]
    public void TheUnionCountsAFeatureSeenByTwoTablesOnce()
    {
        var (a, b) = (new FeatureTable(), new FeatureTable());
        a.Add([1u << 16, 2u << 16, 3u << 16]);
        b.Add([3u << 16, 4u << 16]);

        Assert.Equal(4, FeatureTable.CountUnion([a, b]));
        Assert.Equal(3, FeatureTable.CountUnion([a]));
    }
}
