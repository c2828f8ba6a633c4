using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>A page's words read back what was written, whether it is stored sparsely or densely.</summary>
public class PageWordsTests
{
    private static ulong[] Model(PageWords w) => [.. Enumerable.Range(0, Geometry.WordsPerPage).Select(i => w.Get(i))];

    [Fact]
    public void RandomWritesReadBackAcrossSparseAndDenseStorage()
    {
        var rng = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var page = new PageWords();
            var expected = new ulong[Geometry.WordsPerPage];
            for (var op = 0; op < 20; op++)
            {
                var from = rng.Next(Geometry.WordsPerPage);
                var count = rng.Next(3) switch { 0 => 1, 1 => rng.Next(1, Geometry.WordsPerPage - from + 1), _ => Geometry.WordsPerPage - from };
                if (rng.Next(10) == 0)
                {
                    (from, count) = (0, Geometry.WordsPerPage);
                }
                var value = (ulong)rng.Next(1, 1000);
                page.SetRange(from, count, value);
                Array.Fill(expected, value, from, count);
                Assert.Equal(expected, Model(page));
            }
            var copy = new PageWords();
            copy.CopyFrom(page);
            Assert.Equal(expected, Model(copy));
            Assert.True(copy.SameAs(page));
            copy.Set(3, copy.Get(3) + 1);
            Assert.False(copy.SameAs(page));
        }
    }

    [Fact]
    public void AWholePageWriteMakesThePageUniformAgain()
    {
        var page = new PageWords();
        page.SetRange(1, 511, 5);
        Assert.NotEqual(0, page.Count);
        page.SetRange(0, Geometry.WordsPerPage, 9);
        Assert.Equal(0, page.Count);
        Assert.Equal(9UL, page.Fill);
        Assert.Equal(9UL, page.Get(100));
    }
}
