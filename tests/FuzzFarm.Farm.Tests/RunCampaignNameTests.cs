using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>
/// <c>run</c> with a derived profile (a proposed fix) and no <c>--campaign</c> names its campaign after the profile in
/// the characters campaign names allow; it used to refuse its own default name.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class RunCampaignNameTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("v5.9+fork_copies_pinned=false", "local-v5.9.fork_copies_pinned-false")]
    [InlineData("v5.9+fork_copies_pinned=false+clear_refs_flush=true+anon_exclusive=true", "local-v5.9.fork_copies_pinned-false.clear_refs_-")]
    public async Task A_derived_profile_gets_a_valid_default_campaign(string profile, string expected)
    {
        var cs = await postgres.CreateDatabaseAsync();
        var run = await FarmProcess.RunAsync(TimeSpan.FromMinutes(3), "run", "--profile", profile, "--machines", "1", "--minutes", "0.05", "--db", cs);
        Assert.True(run.ExitCode is 0 or 1, string.Join('\n', run.Lines));
        await using var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None);
        var campaign = Assert.Single(await database.Campaigns.ListAsync(CancellationToken.None));
        Assert.StartsWith(expected, campaign.Name, StringComparison.Ordinal);
        Assert.True(campaign.Name.Length <= 64, campaign.Name);
        Assert.Equal(profile, campaign.Profile);
    }
}
