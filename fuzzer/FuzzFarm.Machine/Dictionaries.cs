namespace FuzzFarm.Machine;

/// <summary>Resetting the dictionaries an execution fills, at a cost that follows what the execution put in them.</summary>
internal static class Dictionaries
{
    /// <summary>Up to this many entries are removed one by one; more are cleared at once.</summary>
    private const int FewEntries = 64;

    /// <summary>
    /// Empties <paramref name="d"/>. Clear costs the dictionary's capacity, which a single 4M write grows to a thousand
    /// entries for good: clearing that after every small execution cost more than running it. A few entries are
    /// removed one by one instead (enumeration only walks the slots used since the last Clear).
    /// </summary>
    public static void Reset<TKey, TValue>(Dictionary<TKey, TValue> d)
        where TKey : notnull
    {
        if (d.Count == 0)
        {
            return;
        }
        if (d.Count > FewEntries || d.EnsureCapacity(0) <= 4 * d.Count + 16)
        {
            // Many entries, or a capacity close to them: Clear costs about what was put in.
            d.Clear();
            return;
        }
        // Remove does not invalidate an enumeration in progress (documented since .NET Core 3.0): no copy of the keys.
        foreach (var key in d.Keys)
        {
            d.Remove(key);
        }
    }
}
