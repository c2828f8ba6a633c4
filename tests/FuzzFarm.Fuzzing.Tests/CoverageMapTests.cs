using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class CoverageMapTests
{
    /// <summary>The map's meaning, as one bitmap over the 24-bit slots (features sharing a slot count as one).</summary>
    private sealed class Reference
    {
        private readonly HashSet<uint> _slots = [];

        private static uint Slot(uint feature) => (feature * 0x9E3779B1u) >> 8;

        public int CountNew(uint[] features) => features.Count(f => !_slots.Contains(Slot(f)));

        public int Add(uint[] features) => features.Count(f => _slots.Add(Slot(f)));
    }

    [Fact]
    public void NewFeaturesAreCountedAsABitmapOfSlotsCountsThemWhileTheLookupTableGrows()
    {
        var map = new CoverageMap();
        var reference = new Reference();
        var random = new Random(11);
        // Features clustered the way the machine's are (a point in the high half, a value in the low one), well past
        // the lookup table's first size, with repeats and slot collisions among the draws.
        for (var round = 0; round < 3_000; round++)
        {
            var features = Enumerable.Range(0, random.Next(1, 12))
                .Select(_ => (uint)random.Next(0, 64) << 16 | (uint)random.Next(0, 1 << (round % 9 + 4)))
                .Distinct()
                .ToArray();
            Assert.Equal(reference.CountNew(features), map.CountNew(features));
            if (random.Next(3) == 0)
            {
                Assert.Equal(reference.Add(features), map.Add(features));
            }
        }
        Assert.True(map.Count > 4_096, $"{map.Count} features: the table never grew past its first size");
    }

    [Fact]
    public void FeaturesThatOverfillTheirBucketAreStillFound()
    {
        // Nine features whose slots differ but share their top ten bits: one home bucket (of four) at the table's first size.
        uint[] crowded = [.. Enumerable.Range(0, 1 << 20).Select(i => (uint)i).Where(f => (f * 0x9E3779B1u) >> 22 == 5).DistinctBy(f => (f * 0x9E3779B1u) >> 8).Take(9)];
        var map = new CoverageMap();

        Assert.Equal(6, map.Add(crowded.AsSpan(..6)));

        foreach (var f in crowded.AsSpan(..6))
        {
            Assert.Equal(0, map.CountNew([f]));
        }
        Assert.Equal(3, map.CountNew(crowded.AsSpan(6..)));
        Assert.Equal(3, map.Add(crowded));
        Assert.Equal(0, map.CountNew(crowded));
    }

    [Fact]
    public void HitCountsCarryPastTheirLowByte()
    {
        var hits = new FeatureHits();
        var many = Enumerable.Repeat(7u, 70_000).ToArray();

        hits.Record(many);
        hits.Record(many);

        Assert.Equal(140_000u, hits.Of(7));
        Assert.Equal(0u, hits.Of(8));
    }

    [Fact]
    public void AHitCountStopsAtTheLargestCountInsteadOfWrapping()
    {
        var hits = new FeatureHits();
        var many = Enumerable.Repeat(7u, 1 << 20).ToArray();

        // 2^32 + 2^20 hits: one past the largest count and on, as an overnight campaign's commonest features reach.
        for (var i = 0; i <= 1 << 12; i++)
        {
            hits.Record(many);
        }

        Assert.Equal(uint.MaxValue, hits.Of(7));
        hits.Record(many);
        Assert.Equal(uint.MaxValue, hits.Of(7));
    }
}
