using System.Text.Json;
using FuzzFarm.Machine;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary><c>fuzzfarm bisect</c> through the real process.</summary>
public sealed class BisectTests
{
    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public void Thp_vmsplice_seed_is_introduced_twice_and_fixed_twice()
    {
        var run = Fuzzfarm.Run("bisect", Path.Combine(RepoPaths.Seeds, "s2-vmsplice-thp.ff"), "--json");

        Assert.Equal(1, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(["v5.7", "v5.9-rc4"], Strings(json.RootElement.GetProperty("introduced")));
        Assert.Equal(["v5.8", "v5.18"], Strings(json.RootElement.GetProperty("fixed")));
    }

    [Theory]
    [MemberData(nameof(SeedMatrixTests.Seeds), MemberType = typeof(SeedMatrixTests))]
    public void Bisect_json_lists_every_profile_oldest_first_with_the_header_verdicts(string seed)
    {
        var path = Path.Combine(RepoPaths.Corpus, seed);
        var header = SeedHeader.Read(path);

        var run = Fuzzfarm.Run("bisect", path, "--json");

        Assert.Equal(1, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal(["results", "introduced", "fixed"], root.EnumerateObject().Select(p => p.Name));
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(KernelProfile.Named.Select(p => p.Name), results.Select(r => r.GetProperty("profile").GetString()));
        foreach (var r in results)
        {
            Assert.Equal(["profile", "verdict", "signatures"], r.EnumerateObject().Select(p => p.Name));
            var profile = r.GetProperty("profile").GetString()!;
            var violates = header.Violates.Contains(profile);
            Assert.Equal(violates ? "violation" : "ok", r.GetProperty("verdict").GetString());
            Assert.Equal(violates ? [header.SignatureFor(profile)] : [], Strings(r.GetProperty("signatures")));
        }
        var (introduced, fixedIn) = Transitions(header.Violates);
        Assert.Equal(introduced, Strings(root.GetProperty("introduced")));
        Assert.Equal(fixedIn, Strings(root.GetProperty("fixed")));
    }

    [Fact]
    public void Bisect_text_names_the_transitions()
    {
        var run = Fuzzfarm.Run("bisect", Path.Combine(RepoPaths.Seeds, "s2-vmsplice-thp.ff"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("introduced: v5.7, v5.9-rc4", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("fixed:      v5.8, v5.18", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Independent of the Bisector: where the header's set starts and stops along the named profiles.</summary>
    private static (string[] Introduced, string[] Fixed) Transitions(IReadOnlyCollection<string> violating)
    {
        var introduced = new List<string>();
        var fixedIn = new List<string>();
        var before = false;
        foreach (var name in KernelProfile.Named.Select(p => p.Name))
        {
            var now = violating.Contains(name);
            if (now != before)
            {
                (now ? introduced : fixedIn).Add(name);
            }
            before = now;
        }
        return ([.. introduced], [.. fixedIn]);
    }
}
