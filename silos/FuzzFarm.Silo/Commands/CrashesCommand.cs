using FuzzFarm.Silo.Farm;

namespace FuzzFarm.Silo.Commands;

/// <summary>Lists crash groups, of one campaign or of all, straight from PostgreSQL (no cluster needed).</summary>
public sealed class CrashesCommand : ICliCommand
{
    public string Name => "crashes";

    public string Usage => "crashes [--campaign C] [--db CS]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var (campaign, database) = await CrashGroupsOptions.OpenAsync(args, cancellation);
        await using (database)
        {
            var groups = await database.Crashes.ListGroupsAsync(campaign, cancellation);
            CrashTables.WriteGroups(Console.Out, groups, withCampaign: campaign is null);
            return 0;
        }
    }
}
