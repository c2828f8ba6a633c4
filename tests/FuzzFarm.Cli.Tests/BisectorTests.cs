using System.Collections.Immutable;
using FuzzFarm.Oracle.Bisection;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>The transition rule of machine.md §4, on verdict lists built by hand.</summary>
public sealed class BisectorTests
{
    private static BisectionResult Of(string verdicts) =>
        Bisector.FromVerdicts([.. verdicts.Select((c, i) => new ProfileVerdict($"p{i}", c == 'x', c == 'x' ? ["sig"] : []))]);

    [Theory]
    [InlineData("....", "", "")]
    [InlineData("x...", "p0", "p1")]
    [InlineData(".x..", "p1", "p2")]
    [InlineData("x.xx..", "p0 p2", "p1 p4")]
    [InlineData("..xx", "p2", "")]
    [InlineData("xxxx", "p0", "")]
    public void Introduced_and_fixed_are_the_turning_points(string verdicts, string introduced, string fixedIn)
    {
        var result = Of(verdicts);

        Assert.Equal(introduced, string.Join(' ', result.Introduced));
        Assert.Equal(fixedIn, string.Join(' ', result.Fixed));
        Assert.Equal(verdicts.Contains('x', StringComparison.Ordinal), result.AnyViolation);
        Assert.Equal(verdicts.Length, result.Results.Length);
    }

    [Fact]
    public void Empty_list_has_no_transitions()
    {
        var result = Bisector.FromVerdicts(ImmutableArray<ProfileVerdict>.Empty);

        Assert.Empty(result.Introduced);
        Assert.Empty(result.Fixed);
        Assert.False(result.AnyViolation);
    }

    [Fact]
    public void A_signature_is_introduced_where_it_shows_not_where_another_bug_does()
    {
        // p0 and p1 break the program under another rule: that bug is older, not this one.
        var result = Bisector.FromVerdicts([
            new ProfileVerdict("p0", true, ["old rule"]),
            new ProfileVerdict("p1", true, ["old rule", "new rule"]),
            new ProfileVerdict("p2", true, ["new rule"]),
            new ProfileVerdict("p3", false, []),
        ]);

        var own = result.Of("new rule");

        Assert.Equal("p0", string.Join(' ', result.Introduced));
        Assert.Equal("p1", string.Join(' ', own.Introduced));
        Assert.Equal("p3", string.Join(' ', own.Fixed));
        Assert.Equal(new Dictionary<string, string> { ["p0"] = "old rule" }, result.OtherThan("new rule"));
    }
}
