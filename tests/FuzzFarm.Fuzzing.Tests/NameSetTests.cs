using System.Globalization;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class NameSetTests
{
    private static readonly ParamKind[] Kinds =
        [ParamKind.Address, ParamKind.Thread, ParamKind.Pipe, ParamKind.Pin, ParamKind.File, ParamKind.Uffd, ParamKind.Handle];

    [Fact]
    public void FreshNamesAreTheFirstUnusedNumberForTheirPrefix()
    {
        // Bound names that look like fresh ones and names that only nearly do (a leading zero, three digits, t0).
        var rng = new Rng(9);
        string[] odd = ["a00", "a07", "a64", "a99", "a100", "t0", "x", "ab", "a", "h63", "w1"];
        var names = new NameSet();
        for (var round = 0; round < 2000; round++)
        {
            var bound = new List<string>();
            for (var n = rng.Between(0, 80); n > 0; n--)
            {
                bound.Add(rng.Percent(20) ? odd[rng.Next(odd.Length)]
                    : NameSet.Prefix(Kinds[rng.Next(Kinds.Length)]) + rng.Next(rng.Percent(90) ? 64 : 120).ToString(CultureInfo.InvariantCulture));
            }
            names.Reset([.. bound.Select(b => new Statement(Statement.MainThread, b, Op.Pipe, [], false))]);
            var used = new HashSet<string>(bound, StringComparer.Ordinal) { Statement.MainThread };
            for (var n = rng.Between(1, 70); n > 0; n--)
            {
                var kind = Kinds[rng.Next(Kinds.Length)];
                Assert.Equal(FirstUnused(used, NameSet.Prefix(kind)), names.Fresh(kind));
            }
        }
    }

    [Fact]
    public void SameComparesNamesByTheirCharacters()
    {
        var a1 = NameSet.Prefix(ParamKind.Address) + "1";
        Assert.True(NameSet.Same(a1, new string(a1.AsSpan())));
        Assert.True(NameSet.Same(null, null));
        Assert.False(NameSet.Same("a1", "a2"));
        Assert.False(NameSet.Same("a1", "b1"));
        Assert.False(NameSet.Same("a1", "a10"));
        Assert.False(NameSet.Same("a1", null));
        Assert.False(NameSet.Same(null, "a1"));
    }

    [Fact]
    public void PastTheCachedNumbersNamesAreSpelledOut()
    {
        var names = new NameSet();
        names.Reset([.. Enumerable.Range(1, 64).Select(i => new Statement(Statement.MainThread, "a" + i.ToString(CultureInfo.InvariantCulture), Op.Pipe, [], false))]);
        Assert.Equal("a65", names.Fresh(ParamKind.Address));
        Assert.Equal("a66", names.Fresh(ParamKind.Address));
        Assert.Equal("t1", names.Fresh(ParamKind.Thread));
    }

    [Fact]
    public void OnlyTheLastResetCountsWhenNoNameWasAskedForInBetween()
    {
        List<Statement> bound = [.. Enumerable.Range(1, 5).Select(i => new Statement(Statement.MainThread, "a" + i.ToString(CultureInfo.InvariantCulture), Op.Pipe, [], false))];
        var names = new NameSet();

        names.Reset(bound);
        names.Reset([bound[1]]);
        Assert.Equal("a1", names.Fresh(ParamKind.Address));
        Assert.Equal("a3", names.Fresh(ParamKind.Address));

        names.Reset(bound);
        names.Clear();
        Assert.Equal("a1", names.Fresh(ParamKind.Address));
        Assert.Equal("t1", names.Fresh(ParamKind.Thread));
    }

    private static string FirstUnused(HashSet<string> used, string prefix)
    {
        for (var i = 1; ; i++)
        {
            var name = prefix + i.ToString(CultureInfo.InvariantCulture);
            if (used.Add(name))
            {
                return name;
            }
        }
    }
}
