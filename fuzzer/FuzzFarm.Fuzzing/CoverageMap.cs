namespace FuzzFarm.Fuzzing;

/// <summary>
/// The features an engine has seen, as a bitmap indexed by a hash of the 32-bit feature: one memory read per
/// feature on the hot path. With 2^24 slots, the few thousand features the machine has collide with negligible
/// probability, and a collision only hides one feature from the signal.
/// </summary>
internal sealed class CoverageMap
{
    private const int Bits = 24;
    private readonly ulong[] _words = new ulong[(1 << Bits) / 64];

    public int Count { get; private set; }

    private static uint Slot(uint feature) => (feature * 0x9E3779B1u) >> (32 - Bits);

    /// <summary>Number of features not yet in the map (without adding them).</summary>
    public int CountNew(ReadOnlySpan<uint> features)
    {
        var n = 0;
        foreach (var f in features)
        {
            var slot = Slot(f);
            if ((_words[slot >> 6] & (1UL << (int)(slot & 63))) == 0)
            {
                n++;
            }
        }
        return n;
    }

    /// <summary>Adds the features; returns how many were new.</summary>
    public int Add(ReadOnlySpan<uint> features)
    {
        var n = 0;
        foreach (var f in features)
        {
            var slot = Slot(f);
            ref var word = ref _words[slot >> 6];
            var bit = 1UL << (int)(slot & 63);
            if ((word & bit) == 0)
            {
                word |= bit;
                n++;
            }
        }
        Count += n;
        return n;
    }

    /// <summary>
    /// Features seen by any of the maps. Safe while their engines run: a slot only ever goes from clear to set, and
    /// a word read mid-update counts the features before or after it.
    /// </summary>
    public static int CountUnion(IReadOnlyList<CoverageMap> maps)
    {
        if (maps.Count == 1)
        {
            return maps[0].Count;
        }
        var n = 0;
        for (var w = 0; w < maps[0]._words.Length; w++)
        {
            var word = 0UL;
            foreach (var map in maps)
            {
                word |= Volatile.Read(ref map._words[w]);
            }
            n += System.Numerics.BitOperations.PopCount(word);
        }
        return n;
    }
}
