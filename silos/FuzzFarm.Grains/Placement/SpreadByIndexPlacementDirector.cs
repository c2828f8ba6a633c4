using Orleans.Runtime.Placement;

namespace FuzzFarm.Grains.Placement;

/// <summary>
/// The director for <see cref="SpreadByIndexPlacement"/>: a machine the campaign moves goes where it was sent (see
/// <see cref="MachineBalance"/>); any other goes to the silos ordered by address, machine index modulo their count.
/// </summary>
public sealed class SpreadByIndexPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, silos) is { } sent)
        {
            return Task.FromResult(sent);
        }
        var ordered = silos
            .OrderBy(s => s.Endpoint.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(s => s.Endpoint.Port)
            .ThenBy(s => s.Generation)
            .ToArray();
        var (_, index) = MachineKey.Parse(target.GrainIdentity.Key.ToString()!);
        return Task.FromResult(ordered[index % ordered.Length]);
    }
}
