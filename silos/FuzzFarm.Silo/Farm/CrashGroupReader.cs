using FuzzFarm.Storage;

namespace FuzzFarm.Silo.Farm;

/// <summary>Crash groups for a status display, which must not wait on a store that does not answer.</summary>
public static class CrashGroupReader
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    /// <summary>The campaign's crash groups, or null when the store does not answer within two seconds.</summary>
    public static async Task<IReadOnlyList<CrashGroup>?> TryListAsync(FarmDatabase database, string campaign)
    {
        try
        {
            using var budget = new CancellationTokenSource(Budget);
            return await database.Crashes.ListGroupsAsync(campaign, budget.Token);
        }
        catch (Exception)
        {
            return null;
        }
    }
}
