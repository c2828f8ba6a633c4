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

    private static int Picks(Corpus corpus, uint[] features)
    {
        var rng = new Rng(1);
        var n = 0;
        for (var k = 0; k < 10_000; k++)
        {
            n += corpus.Pick(rng).Features.SequenceEqual(features) ? 1 : 0;
        }
        return n;
    }
}
