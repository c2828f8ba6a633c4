namespace FuzzFarm.Fuzzing;

/// <summary>
/// The features an engine has seen, as a bitmap indexed by a hash of the 32-bit feature: one memory read per
/// feature on the hot path. With 2^24 slots, the few thousand features the machine has collide with negligible
/// probability, and a collision only hides one feature from the signal.
/// </summary>
internal sealed class CoverageMap
{
    private const int Bits = 24;
    private const int InitialSeenBits = 12;
    private readonly ulong[] _words = new ulong[(1 << Bits) / 64];

    // The set slots again, as an open-addressing table of slot + 1 (0 is empty) at most half full, for CountNew: every
    // execution looks up each of its features, and the bitmap's lines holding them (one each, spread over 2 MB) missed
    // the cache where this table (4 bytes a feature, twice over) stays in it. Indexed by a slot's top bits, which
    // depend on every bit of the feature.
    private uint[] _seen = new uint[1 << InitialSeenBits];
    private int _seenShift = Bits - InitialSeenBits;
    private int _seenCount;

    public int Count { get; private set; }

    private static uint Slot(uint feature) => (feature * 0x9E3779B1u) >> (32 - Bits);

    /// <summary>Number of features not yet in the map (without adding them).</summary>
    public int CountNew(ReadOnlySpan<uint> features)
    {
        var seen = _seen;
        var shift = _seenShift;
        var n = 0;
        foreach (var f in features)
        {
            var slot = Slot(f);
            for (var i = (int)(slot >> shift); ; i = (i + 1) & (seen.Length - 1))
            {
                var key = seen[i];
                if (key == slot + 1)
                {
                    break;
                }
                if (key == 0)
                {
                    n++;
                    break;
                }
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
                Remember(slot);
            }
        }
        Count += n;
        return n;
    }

    /// <summary>Adds a newly set slot to the lookup table, doubling the table first when it would pass half full.</summary>
    private void Remember(uint slot)
    {
        // At a shift of 0 the table has a place for every slot.
        if (++_seenCount * 2 > _seen.Length && _seenShift > 0)
        {
            var old = _seen;
            _seen = new uint[old.Length * 2];
            _seenShift--;
            foreach (var key in old)
            {
                if (key != 0)
                {
                    Insert(key);
                }
            }
        }
        Insert(slot + 1);
    }

    private void Insert(uint key)
    {
        var seen = _seen;
        var i = (int)((key - 1) >> _seenShift);
        while (seen[i] != 0)
        {
            i = (i + 1) & (seen.Length - 1);
        }
        seen[i] = key;
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
