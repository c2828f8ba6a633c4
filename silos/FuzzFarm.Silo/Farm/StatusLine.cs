using System.Globalization;
using FuzzFarm.Grains.Contracts;

namespace FuzzFarm.Silo.Farm;

/// <summary>One plain-text line of a campaign's state, for terminals and logs alike.</summary>
public static class StatusLine
{
    /// <param name="violations">Every violation the crash groups have counted (their <c>SEEN</c>); ignored when
    /// <paramref name="crashGroups"/> is -1, the store unavailable.</param>
    public static string Format(CampaignStatus status, TimeSpan elapsed, double executionsPerSecond, int crashGroups, int triaged, long violations)
    {
        var inv = CultureInfo.InvariantCulture;
        var machines = status.Config is { } c ? $"{status.MachinesFuzzing}/{c.Machines}" : "0/0";
        var pending = status.PendingReports > 0 ? $" | reports pending {status.PendingReports}" : "";
        var crashes = crashGroups < 0 ? "crashes ? (store unavailable)" : $"crashes {crashGroups} ({triaged} triaged, {Count(violations)} violations)";
        return string.Create(inv,
            $"[{(int)elapsed.TotalMinutes:00}:{elapsed.Seconds:00}] {status.Name} {status.State.ToString().ToLowerInvariant()} | machines {machines} | {Count(status.Executions)} execs ({Count((long)executionsPerSecond)}/s) | cov {status.CoverageFeatures} | corpus {status.Hub.CorpusSize} | {crashes}{pending}");
    }

    public static string Count(long n) => n switch
    {
        >= 10_000_000 => (n / 1_000_000.0).ToString("0.0", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (n / 1_000.0).ToString("0.0", CultureInfo.InvariantCulture) + "k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };
}
