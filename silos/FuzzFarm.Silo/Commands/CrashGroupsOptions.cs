using FuzzFarm.Silo.Farm;
using FuzzFarm.Storage;

namespace FuzzFarm.Silo.Commands;

/// <summary>The options of a command over stored crash groups: <c>[--campaign C] [--db CS]</c> and nothing else.</summary>
internal static class CrashGroupsOptions
{
    /// <summary>Reads the options, then opens the farm database (the caller disposes it).</summary>
    public static async Task<(string? Campaign, FarmDatabase Database)> OpenAsync(CliArgs args, CancellationToken cancellation)
    {
        var campaign = args.Option("campaign");
        var db = args.Option("db");
        args.EnsureAllConsumed();
        if (args.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        }
        var (database, _) = await FarmDatabaseOpener.OpenAsync(db, cancellation);
        return (campaign, database);
    }
}
