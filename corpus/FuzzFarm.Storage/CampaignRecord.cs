namespace FuzzFarm.Storage;

/// <summary>A campaign's configuration and lifecycle status, as the campaign grain persists it.</summary>
public sealed record CampaignRecord(string Name, string Profile, int Machines, long Seed, string Status, DateTimeOffset CreatedAt);
