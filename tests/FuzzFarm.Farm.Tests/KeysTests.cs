using FuzzFarm.Grains;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>The identities the farm's exactly-once and placement rely on.</summary>
public sealed class KeysTests
{
    private const string Program = "a = mmap(4K, rw, private)\nstore(a, 1)\n";

    [Fact]
    public void A_report_id_depends_on_what_was_found_and_by_whom_only()
    {
        var id = ReportIds.For("c", 1, "sig", Program);
        Assert.Equal(id, ReportIds.For("c", 1, "sig", Program));
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.NotEqual(id, ReportIds.For("c", 2, "sig", Program));
        Assert.NotEqual(id, ReportIds.For("d", 1, "sig", Program));
        Assert.NotEqual(id, ReportIds.For("c", 1, "sig2", Program));
        Assert.NotEqual(id, ReportIds.For("c", 1, "sig", Program + "load(a)\n"));
        // Field boundaries are unambiguous: moving characters between fields changes the id.
        Assert.NotEqual(ReportIds.For("c1", 1, "sig", Program), ReportIds.For("c", 11, "sig", Program));
    }

    [Theory]
    [InlineData("local-v5.7", 0)]
    [InlineData("a/b", 12)]
    public void Machine_keys_round_trip(string campaign, int index) =>
        Assert.Equal((campaign, index), MachineKey.Parse(MachineKey.Format(campaign, index)));

    [Theory]
    [InlineData("campaign")]
    [InlineData("campaign/")]
    [InlineData("/3")]
    [InlineData("campaign/-1")]
    public void Malformed_machine_keys_are_refused(string key) =>
        Assert.Throws<ArgumentException>(() => MachineKey.Parse(key));

    [Fact]
    public void Triage_keys_keep_signatures_with_colons_and_spaces()
    {
        const string signature = "cross-process-visibility in do_wp_page: reuse by mapcount [base]";
        Assert.Equal(("v57", signature), TriageKey.Parse(TriageKey.Format("v57", signature)));
    }

    [Fact]
    public void Machines_of_one_campaign_get_distinct_seeds_that_follow_the_campaign_seed()
    {
        var seeds = Enumerable.Range(0, 64).Select(i => MachineSeeds.For(42, i)).ToHashSet();
        Assert.Equal(64, seeds.Count);
        Assert.Equal(MachineSeeds.For(42, 3), MachineSeeds.For(42, 3));
        Assert.NotEqual(MachineSeeds.For(42, 3), MachineSeeds.For(43, 3));
    }

    [Theory]
    [InlineData("local-v5.7", true)]
    [InlineData("a_b.C-9", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("slash/name", false)]
    [InlineData("new\nline", false)]
    public void Campaign_names_are_checked(string name, bool valid) => Assert.Equal(valid, CampaignNames.IsValid(name));
}
