namespace FuzzFarm.Grains.Placement;

/// <summary>
/// Which machines to move so that every live silo runs as many of a campaign's machines as any other, give or take one.
/// Placement happens once, at activation: without this, a silo that joins a running campaign (or that the placing silo
/// did not know of yet) would never get a machine. Each move restarts a machine, so the plan moves as few as it can:
/// only from the fullest silos, to the emptiest.
/// </summary>
public static class MachineBalance
{
    /// <param name="machines">Each fuzzing machine and the silo it runs on; machines on other than <paramref name="silos"/> are left out.</param>
    /// <param name="silos">The live silos.</param>
    public static IReadOnlyList<(int Index, string Target)> Plan(IEnumerable<(int Index, string Silo)> machines, IEnumerable<string> silos)
    {
        var load = silos.Distinct(StringComparer.Ordinal).ToDictionary(s => s, _ => new SortedSet<int>(), StringComparer.Ordinal);
        foreach (var (index, silo) in machines)
        {
            if (load.TryGetValue(silo, out var held))
            {
                held.Add(index);
            }
        }
        var moves = new List<(int Index, string Target)>();
        while (load.Count > 1)
        {
            // Ties broken by name, so every tick (and every test) plans the same moves from the same state.
            var fullest = load.OrderByDescending(p => p.Value.Count).ThenBy(p => p.Key, StringComparer.Ordinal).First();
            var emptiest = load.OrderBy(p => p.Value.Count).ThenBy(p => p.Key, StringComparer.Ordinal).First();
            if (fullest.Value.Count - emptiest.Value.Count < 2)
            {
                break;
            }
            var index = fullest.Value.Max;
            fullest.Value.Remove(index);
            emptiest.Value.Add(index);
            moves.Add((index, emptiest.Key));
        }
        return moves;
    }
}
