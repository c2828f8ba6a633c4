using System.Text.Json;
using FuzzFarm.Machine;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary><c>fuzzfarm profiles</c> through the real process.</summary>
public sealed class ProfilesTests
{
    private static readonly string[] NamedOldestFirst =
        ["v5.7", "v5.8", "v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18", "v5.19", "v6.0", "v6.2", "v6.15"];

    [Fact]
    public void Json_lists_every_named_profile_oldest_first_with_all_switches()
    {
        var run = Fuzzfarm.Run("profiles", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var profiles = json.RootElement.GetProperty("profiles").EnumerateArray().ToList();
        Assert.Equal(NamedOldestFirst, profiles.Select(p => p.GetProperty("name").GetString()));
        var switchNames = SwitchInfo.All.Select(s => s.Name).ToList();
        foreach (var p in profiles)
        {
            var name = p.GetProperty("name").GetString()!;
            var switches = p.GetProperty("switches").EnumerateObject().ToList();
            Assert.Equal(switchNames, switches.Select(s => s.Name));
            // The listed values are the profile's own: parsing them back as overrides changes nothing.
            var profile = KernelProfile.Parse(name);
            Assert.All(switches, s => Assert.Equal(profile.ValueOf(SwitchInfo.All.Single(i => i.Name == s.Name).Switch), s.Value.GetString()));
        }
        Assert.Equal(["latest"], profiles[^1].GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public void Switch_values_differ_where_the_kernel_history_matrix_changes()
    {
        var run = Fuzzfarm.Run("profiles", "--json");
        using var json = JsonDocument.Parse(run.Stdout);
        string Value(string profile, string sw) => json.RootElement.GetProperty("profiles").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == profile).GetProperty("switches").GetProperty(sw).GetString()!;

        Assert.Equal("true", Value("v5.8", "read_gup_breaks_cow"));
        Assert.Equal("false", Value("v5.9-rc4", "read_gup_breaks_cow"));
        Assert.Equal("false", Value("v5.9-rc4", "fork_copies_pinned"));
        Assert.Equal("true", Value("v5.9", "fork_copies_pinned"));
        Assert.Equal("false", Value("v5.11", "clear_refs_flush"));
        Assert.Equal("true", Value("v5.12", "clear_refs_flush"));
        Assert.Equal("false", Value("v5.18", "anon_exclusive"));
        Assert.Equal("true", Value("v5.19", "anon_exclusive"));
    }

    [Fact]
    public void Text_lists_each_profile_and_explains_the_switches()
    {
        var run = Fuzzfarm.Run("profiles");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.Equal(NamedOldestFirst, lines.Where(l => l.StartsWith('v')).Select(l => l.Split(' ')[0]));
        Assert.Contains("v6.15 (alias latest)", lines);
        Assert.All(SwitchInfo.All, s => Assert.Contains(lines, l => l.TrimStart().StartsWith(s.Name + " ", StringComparison.Ordinal) && l.Contains(s.Meaning, StringComparison.Ordinal)));
    }
}
