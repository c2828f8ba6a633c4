using System.Numerics;
using System.Runtime.InteropServices;

namespace FuzzFarm.Fuzzing;

/// <summary>
/// An engine's two per-feature records, read for every feature of every execution: whether the feature was seen
/// (the signal: a bitmap of 2^24 slots, so that the few thousand features the machine has collide with negligible
/// probability, a collision only hiding one feature) and how many executions reached it (2^16 counters; features that
/// share one share a count, which only ranks features: the corpus favours inputs whose features the engine has
/// seldom exercised, as AFL++'s rare-edge schedules and libFuzzer's entropic one do).
/// A feature's counter slot is its seen slot's top 16 bits, so each counter lives in one 64-byte line with the 256
/// seen bits under it: a feature costs one cache line, where a separate bitmap and counter table cost two, and
/// together they outgrow the core's cache (the bookkeeping measured 5% of the loop that way).
/// </summary>
internal sealed class FeatureTable
{
    private const int CountBits = 16;
    /// <summary>Words per counter's line: the count, four words of seen bits, three unused.</summary>
    private const int Stride = 8;

    private readonly ulong[] _lines;
    // The array's first line-aligned word: pinned, so that the alignment holds.
    private readonly int _base;

    public FeatureTable()
    {
        _lines = GC.AllocateArray<ulong>(((1 << CountBits) + 1) * Stride, pinned: true);
        _base = (int)((64 - (Marshal.UnsafeAddrOfPinnedArrayElement(_lines, 0) & 63)) & 63) / sizeof(ulong);
    }

    /// <summary>Features seen (seen slots set).</summary>
    public int Count { get; private set; }

    /// <summary>The word index of <paramref name="feature"/>'s line and the bit of its seen slot in that line's bits.</summary>
    private (int Line, int Bit) Locate(uint feature)
    {
        var slot = (feature * 0x9E3779B1u) >> (32 - CountBits - 8);
        return (_base + (int)(slot >> 8) * Stride, (int)(slot & 255));
    }

    /// <summary>Counts one more execution reaching each feature, and returns how many of them were not seen yet (without adding them).</summary>
    public int RecordAndCountNew(ReadOnlySpan<uint> features)
    {
        var lines = _lines;
        var n = 0;
        foreach (var f in features)
        {
            var (line, bit) = Locate(f);
            ref var count = ref lines[line];
            if (count != uint.MaxValue)
            {
                count++;
            }
            if ((lines[line + 1 + (bit >> 6)] & (1UL << bit)) == 0)
            {
                n++;
            }
        }
        return n;
    }

    /// <summary>Number of features not seen yet (without adding them).</summary>
    public int CountNew(ReadOnlySpan<uint> features)
    {
        var n = 0;
        foreach (var f in features)
        {
            var (line, bit) = Locate(f);
            if ((_lines[line + 1 + (bit >> 6)] & (1UL << bit)) == 0)
            {
                n++;
            }
        }
        return n;
    }

    /// <summary>Marks the features seen; returns how many were new.</summary>
    public int Add(ReadOnlySpan<uint> features)
    {
        var n = 0;
        foreach (var f in features)
        {
            var (line, bit) = Locate(f);
            ref var word = ref _lines[line + 1 + (bit >> 6)];
            var mask = 1UL << bit;
            if ((word & mask) == 0)
            {
                word |= mask;
                n++;
            }
        }
        Count += n;
        return n;
    }

    /// <summary>How many executions reached the feature (or another sharing its counter).</summary>
    public uint Of(uint feature) => (uint)_lines[Locate(feature).Line];

    /// <summary>
    /// Features seen by any of the tables. Safe while their engines run: a seen bit only ever goes from clear to set,
    /// and a word read mid-update counts the features before or after it.
    /// </summary>
    public static int CountUnion(IReadOnlyList<FeatureTable> tables)
    {
        if (tables.Count == 1)
        {
            return tables[0].Count;
        }
        var n = 0;
        for (var line = 0; line < 1 << CountBits; line++)
        {
            for (var w = 1; w <= 4; w++)
            {
                var word = 0UL;
                foreach (var table in tables)
                {
                    word |= Volatile.Read(ref table._lines[table._base + line * Stride + w]);
                }
                n += BitOperations.PopCount(word);
            }
        }
        return n;
    }
}
