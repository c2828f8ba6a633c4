using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// The features an engine has seen, as a bitmap indexed by a hash of the 32-bit feature, and the same set slots in a
/// small lookup table for the hot path (<see cref="CountNew"/>). With 2^24 slots, the few thousand features the machine
/// has collide with negligible probability, and a collision only hides one feature from the signal.
/// </summary>
internal sealed class CoverageMap
{
    private const int Bits = 24;
    private const int Lanes = 4;
    private const int InitialBucketBits = 10;
    private readonly ulong[] _words = new ulong[(1 << Bits) / 64];

    // The set slots again, for CountNew: every execution looks up each of its features, and the bitmap's lines holding
    // them (one each, spread over 2 MB) missed the cache where this table (4 bytes a feature, twice over) stays in it.
    // Buckets of four slot + 1 values (0 is empty), at most half full, one bucket a compare: a feature seen before is
    // almost always in its home bucket, picked by the slot's top bits (they depend on every bit of the feature); a
    // full bucket spills into the next.
    private uint[] _seen = new uint[Lanes << InitialBucketBits];
    private int _seenShift = Bits - InitialBucketBits;

    public int Count { get; private set; }

    private static uint Slot(uint feature) => (feature * 0x9E3779B1u) >> (32 - Bits);

    /// <summary>Number of features not yet in the map (without adding them).</summary>
    public int CountNew(ReadOnlySpan<uint> features)
    {
        var seen = _seen;
        var shift = _seenShift;
        ref var table = ref MemoryMarshal.GetArrayDataReference(seen);
        var n = 0;
        foreach (var f in features)
        {
            var slot = Slot(f);
            var bucket = (int)(slot >> shift);
            // In bounds: the shift leaves as many bucket numbers as the table has buckets.
            if (!Vector128.EqualsAny(Vector128.LoadUnsafe(ref table, (nuint)(bucket * Lanes)), Vector128.Create(slot + 1)))
            {
                n += IsNew(seen, bucket, slot + 1) ? 1 : 0;
            }
        }
        return n;
    }

    /// <summary>Whether <paramref name="key"/>, not in its home bucket, is missing from the buckets it spilled into.</summary>
    private static bool IsNew(uint[] seen, int home, uint key) => !Probe(seen, home, key).Contains(key);

    /// <summary>
    /// The lanes of the first bucket from <paramref name="home"/> on that holds <paramref name="key"/> or a free lane:
    /// where a lookup ends and an insert goes. The walk ends, as <see cref="Remember"/> keeps the table at most half full.
    /// </summary>
    private static Span<uint> Probe(uint[] seen, int home, uint key)
    {
        var buckets = seen.Length / Lanes;
        for (var b = home; ; b = (b + 1) & (buckets - 1))
        {
            var lanes = seen.AsSpan(b * Lanes, Lanes);
            if (lanes.Contains(key) || lanes.Contains(0u))
            {
                return lanes;
            }
        }
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
                Count++;
                Remember(slot);
            }
        }
        return n;
    }

    /// <summary>
    /// Adds a newly set slot (already in <see cref="Count"/>) to the lookup table, doubling the table first when it would
    /// pass half full.
    /// </summary>
    private void Remember(uint slot)
    {
        // At a shift of 0 the table has a bucket for every slot.
        if (Count * 2 > _seen.Length && _seenShift > 0)
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

    /// <summary>Adds a key not in the table.</summary>
    private void Insert(uint key)
    {
        var lanes = Probe(_seen, (int)((key - 1) >> _seenShift), key);
        lanes[lanes.IndexOf(0u)] = key;
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
