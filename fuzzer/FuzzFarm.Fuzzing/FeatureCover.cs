namespace FuzzFarm.Fuzzing;

/// <summary>
/// The step of a greedy set cover (afl-cmin, syz-manager): a program is worth keeping when it reaches a coverage
/// feature none kept before it. Callers choose the order (widest first when minimizing).
/// </summary>
public static class FeatureCover
{
    /// <summary>Adds the features to <paramref name="covered"/>; whether one of them was not there.</summary>
    public static bool Adds(HashSet<uint> covered, uint[] features)
    {
        var adds = false;
        foreach (var f in features)
        {
            adds |= covered.Add(f);
        }
        return adds;
    }
}
