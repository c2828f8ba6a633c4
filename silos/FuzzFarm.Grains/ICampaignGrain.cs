using FuzzFarm.Grains.Contracts;

namespace FuzzFarm.Grains;

/// <summary>A campaign, keyed by its name. Its configuration and state live in PostgreSQL, so any silo can take it over.</summary>
[Alias("FuzzFarm.ICampaignGrain")]
public interface ICampaignGrain : IGrainWithStringKey
{
    /// <summary>Starts (or resumes) the campaign: its corpus and crash groups carry on. A null config reuses the stored one.</summary>
    [Alias("Start")]
    Task<CampaignStatus> StartAsync(CampaignConfig? config);

    [Alias("Stop")]
    Task<CampaignStatus> StopAsync();

    [Alias("GetStatus")]
    Task<CampaignStatus> GetStatusAsync();

    /// <summary>Called periodically by every silo for each running campaign: reactivates a campaign whose silo died.</summary>
    [Alias("KeepAlive")]
    Task KeepAliveAsync();
}
