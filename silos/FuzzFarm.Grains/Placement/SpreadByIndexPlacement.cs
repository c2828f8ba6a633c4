using Orleans.Placement;

namespace FuzzFarm.Grains.Placement;

/// <summary>
/// Places machine <c>campaign/i</c> on the i-th compatible silo (modulo their number), so a campaign's machines spread
/// evenly over the cluster instead of piling up where the campaign grain happens to run.
/// </summary>
[GenerateSerializer, Immutable, Alias("FuzzFarm.SpreadByIndexPlacement")]
public sealed class SpreadByIndexPlacement : PlacementStrategy
{
    public static SpreadByIndexPlacement Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SpreadByIndexPlacementAttribute : PlacementAttribute
{
    public SpreadByIndexPlacementAttribute()
        : base(SpreadByIndexPlacement.Instance)
    {
    }
}
