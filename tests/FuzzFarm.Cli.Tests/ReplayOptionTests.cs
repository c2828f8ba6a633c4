using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>Bad options through the real command: exit 2 and one line on stderr saying what is wrong.</summary>
public sealed class ReplayOptionTests
{
    private static string Seed(string name) => Path.Combine(RepoPaths.Seeds, name);

    [Fact]
    public void Unknown_profile_is_one_line_listing_the_valid_names()
    {
        var run = Fuzzfarm.Run("replay", Seed("s1-vmsplice-base.ff"), "--profile", "v4.19");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.Contains("v4.19", line, StringComparison.Ordinal);
        foreach (var name in new[] { "v5.7", "v5.8", "v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18", "v5.19", "v6.0", "v6.2", "v6.15", "latest" })
        {
            Assert.Contains(name, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Unknown_switch_in_a_derived_profile_is_one_line()
    {
        var run = Fuzzfarm.Run("replay", Seed("s1-vmsplice-base.ff"), "--profile", "v5.9+no_such_switch=true");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no_such_switch", Assert.Single(run.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_one_line_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "ff-no-such-dir", "missing.ff");
        var run = Fuzzfarm.Run("replay", missing, "--profile", "v5.9");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith(missing + ":", Assert.Single(run.StderrLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("replay", "--profile", "v5.9", "--jsn")]
    [InlineData("bisect", "--trace")]
    [InlineData("profiles", "--verbose")]
    public void Unknown_option_is_one_line(params string[] args)
    {
        var withFile = args[0] == "profiles" ? args : [args[0], Seed("s1-vmsplice-base.ff"), .. args[1..]];
        var run = Fuzzfarm.Run(withFile);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(args[^1], Assert.Single(run.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_profile_is_one_line()
    {
        var run = Fuzzfarm.Run("replay", Seed("s1-vmsplice-base.ff"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--profile", Assert.Single(run.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_argument_is_one_line()
    {
        var run = Fuzzfarm.Run("bisect", "--json");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("FILE", Assert.Single(run.StderrLines), StringComparison.Ordinal);
    }
}
