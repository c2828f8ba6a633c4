namespace FuzzFarm.Grains.Contracts;

/// <summary>Lifecycle of a campaign, as stored in PostgreSQL (lower-case names).</summary>
[GenerateSerializer, Alias("FuzzFarm.CampaignState")]
public enum CampaignState
{
    /// <summary>No such campaign in the store.</summary>
    Unknown = 0,
    Running = 1,
    Stopped = 2,
}
