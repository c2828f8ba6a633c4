namespace FuzzFarm.Fuzzing;

/// <summary>
/// How many executions reached each coverage feature, in a table small enough to stay in cache (features that share a
/// slot share a count: the counts only rank features, so a rare collision costs little). The corpus uses it to favour
/// inputs whose features the engine has seldom exercised, as AFL++'s rare-edge schedules and libFuzzer's entropic one
/// do: a feature reached once is left behind when its only holder is one input among thousands.
/// </summary>
internal sealed class FeatureHits
{
    private const int Bits = 16;

    /// <summary>The most a count reaches; then it stays.</summary>
    private const uint MaxHigh = uint.MaxValue >> 8;

    // Each count's low byte and the rest in tables of their own: every execution increments a slot per feature, and
    // the low bytes alone (64 KB) stay in cache where whole counts (256 KB) missed; the rest changes once in 256 hits.
    private readonly byte[] _low = new byte[1 << Bits];
    private readonly uint[] _high = new uint[1 << Bits];

    private static int Slot(uint feature) => (int)((feature * 0x9E3779B1u) >> (32 - Bits));

    public void Record(ReadOnlySpan<uint> features)
    {
        var low = _low;
        foreach (var f in features)
        {
            var slot = Slot(f);
            ref var c = ref low[slot];
            if (++c == 0)
            {
                Carry(slot);
            }
        }
    }

    /// <summary>A low byte wrapped: carry into the rest, or stay at the largest count (uint.MaxValue).</summary>
    private void Carry(int slot)
    {
        if (_high[slot] == MaxHigh)
        {
            _low[slot] = byte.MaxValue;
        }
        else
        {
            _high[slot]++;
        }
    }

    public uint Of(uint feature)
    {
        var slot = Slot(feature);
        return _high[slot] << 8 | _low[slot];
    }
}
