using FuzzFarm.Silo.Commands;
using FuzzFarm.Storage;

namespace FuzzFarm.Silo.Farm;

/// <summary>
/// Opens the farm's database from <c>--db</c> / <c>FUZZFARM_PG</c> / the local private server. Any failure (a malformed
/// string, a server that refuses or is unreachable) is the user's input not working: one line, exit 2, nothing written.
/// </summary>
public static class FarmDatabaseOpener
{
    public static async Task<(FarmDatabase Database, string ConnectionString)> OpenAsync(string? dbOption, CancellationToken ct)
    {
        try
        {
            var connectionString = await ConnectionResolver.ResolveAsync(dbOption, ct);
            return (await FarmDatabase.OpenAsync(connectionString, ct), connectionString);
        }
        catch (StorageException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
