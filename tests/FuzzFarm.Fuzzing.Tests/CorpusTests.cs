using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class CorpusTests
{
    private static readonly Program Same = ProgramParser.Parse("a = mmap(4K, rw, private)\nstore(a, 1)");

    [Fact]
    public void AnInputWhoseFeaturesFewExecutionsReachIsPickedMoreThanOneEveryExecutionReaches()
    {
        var hits = new FeatureHits();
        var corpus = new Corpus(hits);
        corpus.Add(new CorpusEntry(Same, [1, 2], 2));
        corpus.Add(new CorpusEntry(Same, [3, 4], 2));
        for (var n = 0; n < 10_000; n++)
        {
            hits.Record([1u, 2u]);
        }
        hits.Record([3u]);
        corpus.Reweigh();

        var seldom = Picks(corpus, [3, 4]);

        // Both hold two features no other input holds and cost the same: only the hit counts tell them apart.
        Assert.True(seldom > 3 * (10_000 - seldom), $"{seldom} of 10000 picks");
    }

    [Fact]
    public void WithoutHitCountsEqualInputsArePickedAlike()
    {
        var corpus = new Corpus();
        corpus.Add(new CorpusEntry(Same, [1, 2], 2));
        corpus.Add(new CorpusEntry(Same, [3, 4], 2));

        Assert.InRange(Picks(corpus, [3, 4]), 4_500, 5_500);
    }

    [Fact]
    public void ReweighingGivesEachEntryTheWeightItsFeaturesSumToFeatureByFeature()
    {
        var hits = new FeatureHits();
        var corpus = new Corpus(hits);
        // An odd number of entries of different lengths sharing features (every path of the interleaved sums), with
        // terms that round differently when added in another order.
        var random = new Random(7);
        AddRandomEntries(corpus, random, 41, maxLength: 80, range: 200);
        for (var n = 0; n < 20_000; n++)
        {
            hits.Record([(uint)random.Next(1, 200), (uint)random.Next(1, 40)]);
        }
        corpus.Reweigh();

        AssertWeightsSumFeatureByFeature(corpus, hits);
    }

    [Fact]
    public void AfterMinimizingEachKeptEntryStillWeighsWhatItsOwnFeaturesSumTo()
    {
        // Minimizing keeps a subset in another order: each kept entry's features must move with it.
        var hits = new FeatureHits();
        var corpus = new Corpus(hits);
        var random = new Random(11);
        AddRandomEntries(corpus, random, 300, maxLength: 30, range: 400);
        for (var n = 0; n < 5_000; n++)
        {
            hits.Record([(uint)random.Next(1, 400)]);
        }
        var before = corpus.Count;
        corpus.Minimize();

        Assert.InRange(corpus.Count, 1, before - 1);
        AssertWeightsSumFeatureByFeature(corpus, hits);
    }

    /// <summary>Adds <paramref name="count"/> entries of up to <paramref name="maxLength"/> distinct features below <paramref name="range"/>.</summary>
    private static void AddRandomEntries(Corpus corpus, Random random, int count, int maxLength, int range)
    {
        for (var i = 0; i < count; i++)
        {
            uint[] features = [.. Enumerable.Range(0, random.Next(1, maxLength)).Select(_ => (uint)random.Next(1, range)).Distinct().Order()];
            corpus.Add(new CorpusEntry(Same, features, features.Length));
        }
    }

    /// <summary>Each entry's weight as a plain loop sums it, term by term in the entry's feature order: exactly, bit for bit.</summary>
    private static void AssertWeightsSumFeatureByFeature(Corpus corpus, FeatureHits hits)
    {
        for (var i = 0; i < corpus.Count; i++)
        {
            var e = corpus.Entries[i];
            var rarity = 0.0;
            foreach (var f in e.Features)
            {
                rarity += 1.0 / corpus.Entries.Count(other => other.Features.Contains(f));
                rarity += 8 * 256.0 / (256.0 + hits.Of(f));
            }
            Assert.Equal(BitConverter.DoubleToInt64Bits((1.0 + rarity) / (4 + e.Cost)), BitConverter.DoubleToInt64Bits(corpus.WeightAt(i)));
        }
    }

    [Fact]
    public void PicksStayTheWeightedDrawAsTheCorpusGrowsAndIsMinimized()
    {
        // Pick keeps per-entry hints it must bring up to date when entries are added, dropped and reordered: whatever it
        // holds, each pick is the first entry whose running weight reaches the same draw.
        var corpus = new Corpus();
        var rng = new Rng(3);
        var reference = new Rng(3);
        var random = new Random(5);
        var minimized = 0;
        for (var i = 0; i < 700; i++)
        {
            uint[] features = [.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (uint)random.Next(1, 600)).Distinct().Order()];
            var before = corpus.Count;
            corpus.Add(new CorpusEntry(ProgramParser.Parse($"a = mmap({4 * (1 + (i % 7))}K, rw, private)\nstore(a, {i})"), features, features.Length));
            minimized += corpus.Count <= before ? 1 : 0;
            for (var k = 0; k < 20; k++)
            {
                Assert.Same(Expected(corpus, reference), corpus.Pick(rng.NextULong()));
            }
        }
        Assert.True(minimized > 0, "the corpus was never minimized");
    }

    [Fact]
    public void PicksStayTheWeightedDrawWhenWarmedAheadRightlyOrWrongly()
    {
        // Warm finds the picks of two draws ahead of time and Pick reuses them: a draw warmed as parent or as donor, one
        // never warmed, and one warmed before the weights changed must each still pick by the weights as they are.
        var hits = new FeatureHits();
        var corpus = new Corpus(hits);
        var rng = new Rng(11);
        var reference = new Rng(11);
        var ahead = new Rng(0);
        var random = new Random(13);
        for (var i = 0; i < 400; i++)
        {
            corpus.Add(Entry(random));
            rng.CopyTo(ahead);
            var first = ahead.NextULong();
            var second = ahead.NextULong();
            switch (i % 5)
            {
                case 0:
                    corpus.Warm(first, second);
                    break;
                case 1:
                    corpus.Warm(second, first);
                    break;
                case 2:
                    corpus.Warm(~first, ~second);
                    break;
                case 3:
                    corpus.Warm(first, second);
                    // Enough hits to move the running weights of the entries after this one.
                    var reached = corpus.Entries[random.Next(corpus.Count)].Features;
                    for (var n = 0; n < 300; n++)
                    {
                        hits.Record(reached);
                    }
                    corpus.Reweigh();
                    break;
                default:
                    corpus.Warm(first, second);
                    corpus.Add(Entry(random));
                    break;
            }
            Assert.Same(Expected(corpus, reference), corpus.Pick(rng.NextULong()));
            Assert.Same(Expected(corpus, reference), corpus.Pick(rng.NextULong()));
        }
    }

    private static CorpusEntry Entry(Random random)
    {
        uint[] features = [.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (uint)random.Next(1, 600)).Distinct().Order()];
        return new CorpusEntry(Same, features, features.Length);
    }

    /// <summary>The pick the weights give for the next draw of <paramref name="rng"/>, summed as the corpus sums them.</summary>
    private static CorpusEntry Expected(Corpus corpus, Rng rng)
    {
        var total = 0.0;
        for (var i = 0; i < corpus.Count; i++)
        {
            total += corpus.WeightAt(i);
        }
        var r = (rng.NextULong() >> 11) * (1.0 / (1UL << 53)) * total;
        var sum = 0.0;
        for (var i = 0; i < corpus.Count; i++)
        {
            sum += corpus.WeightAt(i);
            if (sum >= r)
            {
                return corpus.Entries[i];
            }
        }
        return corpus.Entries[^1];
    }

    private static int Picks(Corpus corpus, uint[] features)
    {
        var rng = new Rng(1);
        var n = 0;
        for (var k = 0; k < 10_000; k++)
        {
            n += corpus.Pick(rng.NextULong()).Features.SequenceEqual(features) ? 1 : 0;
        }
        return n;
    }
}
