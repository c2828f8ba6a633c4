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
    private readonly uint[] _counts = new uint[1 << Bits];

    private static int Slot(uint feature) => (int)((feature * 0x9E3779B1u) >> (32 - Bits));

    public void Record(ReadOnlySpan<uint> features)
    {
        var counts = _counts;
        foreach (var f in features)
        {
            ref var c = ref counts[Slot(f)];
            if (c != uint.MaxValue)
            {
                c++;
            }
        }
    }

    public uint Of(uint feature) => _counts[Slot(feature)];
}
