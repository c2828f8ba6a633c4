namespace FuzzFarm.Grains.Contracts;

/// <summary>What a campaign fuzzes and for how long. <see cref="Duration"/> null runs until stopped.</summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.CampaignConfig")]
public sealed record CampaignConfig(
    [property: Id(0)] string Profile,
    [property: Id(1)] int Machines,
    [property: Id(2)] TimeSpan? Duration,
    [property: Id(3)] ulong Seed);
