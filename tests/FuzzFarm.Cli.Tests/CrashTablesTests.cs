using FuzzFarm.Silo.Farm;
using FuzzFarm.Storage;
using Xunit;

namespace FuzzFarm.Cli.Tests;

/// <summary>The crash tables tell a profile that shows the group's bug from one where the repro shows another.</summary>
public sealed class CrashTablesTests
{
    private static readonly CrashGroup Group = new(
        Id: 2, Campaign: "c", Signature: "lost-write in do_wp_page: copy by page_count [base]", Kind: "lost-write",
        FirstSeen: DateTimeOffset.UnixEpoch, LastSeen: DateTimeOffset.UnixEpoch, Hits: 1, Seen: 40, Profiles: ["v5.9"],
        MinimizedText: "a = mmap(4K, rw, private)\n",
        Matrix: new Dictionary<string, bool> { ["v5.7"] = true, ["v5.9"] = true, ["v6.15"] = false },
        OtherSignatures: new Dictionary<string, string> { ["v5.7"] = "lost-write in do_wp_page: copy by mapcount [base]" },
        IntroducedIn: ["v5.9-rc4"], FixedIn: ["v6.15"], TriagedAt: DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData("v5.7", "o")]
    [InlineData("v5.9", "X")]
    [InlineData("v6.15", ".")]
    [InlineData("v5.8", "?")]
    public void A_cell_says_which_bug_the_profile_shows(string profile, string cell) =>
        Assert.Equal(cell, CrashTables.Cell(Group, profile));

    [Fact]
    public void A_repro_lists_what_it_shows_on_the_other_profiles()
    {
        var output = new StringWriter();

        CrashTables.WriteRepros(output, [Group]);

        Assert.Contains("# other: v5.7: lost-write in do_wp_page: copy by mapcount [base]\n", output.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
