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
}
