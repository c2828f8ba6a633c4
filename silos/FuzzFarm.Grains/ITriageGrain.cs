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

    /// <summary>True when the signature's group has its minimized repro and profile matrix stored.</summary>
    [Alias("IsTriaged")]
    Task<bool> IsTriagedAsync();
}
