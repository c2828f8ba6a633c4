using FuzzFarm.Grains.Contracts;

namespace FuzzFarm.Grains;

/// <summary>
/// Triage of one signature in one campaign, keyed by <see cref="TriageKey"/>: stores reports idempotently, then
/// minimizes, replays on every profile and stores the result.
/// </summary>
[Alias("FuzzFarm.ITriageGrain")]
public interface ITriageGrain : IGrainWithStringKey
{
    /// <summary>True once the report is in PostgreSQL (false: not stored yet, the reporter keeps it and retries).</summary>
    [Alias("Report")]
    Task<bool> ReportAsync(ViolationReport report);

    /// <summary>
    /// Starts triage from the group's first stored report unless it is done or under way (triage lost with a silo is
    /// restarted this way). True when the minimized repro and profile matrix are stored.
    /// </summary>
    [Alias("EnsureTriaged")]
    Task<bool> EnsureTriagedAsync();

    /// <summary>
    /// True while a triage is under way here: the first report's, or a shorter report's whose repro may replace the
    /// stored one. False means every report this activation took is reflected in PostgreSQL.
    /// </summary>
    [Alias("Busy")]
    Task<bool> BusyAsync();
}
