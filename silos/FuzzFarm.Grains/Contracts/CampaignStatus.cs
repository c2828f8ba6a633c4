namespace FuzzFarm.Grains.Contracts;

/// <summary>The aggregated view of a campaign: what the status line, <c>campaign status</c> and tests read.</summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.CampaignStatus")]
public sealed record CampaignStatus(
    [property: Id(0)] string Name,
    [property: Id(1)] CampaignState State,
    [property: Id(2)] CampaignConfig? Config,
    [property: Id(3)] DateTimeOffset? StartedAt,
    [property: Id(4)] long Executions,
    [property: Id(5)] int CoverageFeatures,
    [property: Id(6)] HubStatus Hub,
    [property: Id(7)] IReadOnlyList<MachineStatus> Machines,
    [property: Id(8)] int Findings,
    [property: Id(9)] int PendingReports)
{
    /// <summary>Machines that answered and are fuzzing.</summary>
    public int MachinesFuzzing => Machines.Count(m => m.Fuzzing);
}
