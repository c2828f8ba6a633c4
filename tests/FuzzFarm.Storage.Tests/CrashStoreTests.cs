using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Storage.Tests;

public sealed class CrashStoreTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static CrashReport Report(string campaign, string reportId, string signature = "sig-a", string profile = "v5.7", int minutes = 0) =>
        new(reportId, campaign, signature, "child-sees-parent-write", profile, 3, $"# program of {reportId}\n", T0.AddMinutes(minutes));

    private async Task<FarmDatabase> OpenWithCampaignAsync(string campaign)
    {
        var db = await postgres.OpenFarmDatabaseAsync();
        await db.Campaigns.UpsertAsync(new CampaignRecord(campaign, "v5.7", 4, 7, "running", T0), CancellationToken.None);
        return db;
    }

    [Fact]
    public async Task The_same_report_recorded_twice_is_one_instance_and_one_hit()
    {
        await using var db = await OpenWithCampaignAsync("twice");

        var first = await db.Crashes.RecordAsync(Report("twice", "r-1"), CancellationToken.None);
        var again = await db.Crashes.RecordAsync(Report("twice", "r-1"), CancellationToken.None);

        Assert.True(first.NewReport);
        Assert.True(first.NewGroup);
        Assert.False(again.NewReport);
        Assert.False(again.NewGroup);
        Assert.Equal(first.GroupId, again.GroupId);
        var group = (await db.Crashes.GetGroupAsync(first.GroupId, CancellationToken.None))!;
        Assert.Equal(1, group.Hits);
        Assert.Single(await db.Crashes.ListInstancesAsync(first.GroupId, CancellationToken.None));
    }

    [Fact]
    public async Task Reports_of_one_signature_share_a_group_with_first_and_last_seen_hits_and_profiles()
    {
        await using var db = await OpenWithCampaignAsync("grouped");

        await db.Crashes.RecordAsync(Report("grouped", "g-2", profile: "v5.8", minutes: 5), CancellationToken.None);
        await db.Crashes.RecordAsync(Report("grouped", "g-1", profile: "v5.7", minutes: 1), CancellationToken.None);
        var last = await db.Crashes.RecordAsync(Report("grouped", "g-3", profile: "v5.7", minutes: 9), CancellationToken.None);
        await db.Crashes.RecordAsync(Report("grouped", "other", signature: "sig-b"), CancellationToken.None);

        var groups = await db.Crashes.ListGroupsAsync("grouped", CancellationToken.None);
        Assert.Equal(2, groups.Count);
        var group = groups.Single(g => g.Signature == "sig-a");
        Assert.Equal(last.GroupId, group.Id);
        Assert.Equal(3, group.Hits);
        Assert.Equal(T0.AddMinutes(1), group.FirstSeen);
        Assert.Equal(T0.AddMinutes(9), group.LastSeen);
        Assert.Equal(["v5.8", "v5.7"], group.Profiles);
        Assert.Equal(["g-1", "g-2", "g-3"], (await db.Crashes.ListInstancesAsync(group.Id, CancellationToken.None)).Select(i => i.ReportId));
        Assert.Null(group.MinimizedText);
        Assert.Empty(group.Matrix);
    }

    [Fact]
    public async Task Concurrent_reports_of_a_new_signature_make_one_group_counting_each_report_once()
    {
        await using var db = await OpenWithCampaignAsync("racing");
        var reports = Enumerable.Range(0, 20).Select(i => Report("racing", $"race-{i % 10}", minutes: i % 10)).ToList();

        var results = await Task.WhenAll(reports.Select(r => db.Crashes.RecordAsync(r, CancellationToken.None)));

        Assert.Single(results.Select(r => r.GroupId).Distinct());
        Assert.Equal(1, results.Count(r => r.NewGroup));
        Assert.Equal(10, results.Count(r => r.NewReport));
        Assert.Equal(10, (await db.Crashes.GetGroupAsync(results[0].GroupId, CancellationToken.None))!.Hits);
    }

    [Fact]
    public async Task Triage_stores_the_minimized_program_and_the_profile_matrix_and_can_be_rerun()
    {
        await using var db = await OpenWithCampaignAsync("triaged");
        var recorded = await db.Crashes.RecordAsync(Report("triaged", "t-1"), CancellationToken.None);
        Assert.False(recorded.Triaged);

        Assert.True(await db.Crashes.SetTriageAsync("triaged", "sig-a", "first minimization\n",
            new Dictionary<string, bool> { ["v5.7"] = true, ["v5.8"] = false }, new Dictionary<string, string> { ["v5.7"] = "sig-b" },
            ["v5.7"], ["v5.8"], CancellationToken.None));
        Assert.True(await db.Crashes.SetTriageAsync("triaged", "sig-a", "smaller\n",
            new Dictionary<string, bool> { ["v5.7"] = true, ["v5.8"] = true, ["v6.1"] = false }, new Dictionary<string, string> { ["v5.8"] = "sig-c" },
            ["v5.7"], ["v6.1"], CancellationToken.None));
        Assert.False(await db.Crashes.SetTriageAsync("triaged", "no-such-signature", "x\n",
            new Dictionary<string, bool>(), new Dictionary<string, string>(), [], [], CancellationToken.None));

        var group = (await db.Crashes.GetGroupAsync(recorded.GroupId, CancellationToken.None))!;
        Assert.Equal("smaller\n", group.MinimizedText);
        Assert.Equal(new Dictionary<string, bool> { ["v5.7"] = true, ["v5.8"] = true, ["v6.1"] = false }, group.Matrix);
        // The rerun's other signatures replace the first run's, including where the profile now shows the group's own.
        Assert.Equal(new Dictionary<string, string> { ["v5.8"] = "sig-c" }, group.OtherSignatures);
        Assert.Equal(["v5.7"], group.IntroducedIn);
        Assert.Equal(["v6.1"], group.FixedIn);
        Assert.NotNull(group.TriagedAt);
        Assert.True((await db.Crashes.RecordAsync(Report("triaged", "t-2"), CancellationToken.None)).Triaged);
    }

    [Fact]
    public async Task A_report_for_an_unknown_campaign_is_refused_clearly()
    {
        await using var db = await postgres.OpenFarmDatabaseAsync();

        var error = await Assert.ThrowsAsync<StorageException>(() => db.Crashes.RecordAsync(Report("never-created", "u-1"), CancellationToken.None));

        Assert.Contains("no campaign named 'never-created'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_all_campaigns_includes_groups_of_each()
    {
        await using var db = await OpenWithCampaignAsync("all-a");
        await db.Campaigns.UpsertAsync(new CampaignRecord("all-b", "v6.1", 1, 1, "running", T0), CancellationToken.None);
        await db.Crashes.RecordAsync(Report("all-a", "all-a-1"), CancellationToken.None);
        await db.Crashes.RecordAsync(Report("all-b", "all-b-1"), CancellationToken.None);

        var campaigns = (await db.Crashes.ListGroupsAsync(null, CancellationToken.None)).Select(g => g.Campaign).ToHashSet();

        Assert.Contains("all-a", campaigns);
        Assert.Contains("all-b", campaigns);
    }
}
