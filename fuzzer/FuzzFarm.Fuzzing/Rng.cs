namespace FuzzFarm.Fuzzing;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, and its sequence is fixed by this code rather than by the runtime's
/// <see cref="Random"/> implementation, so a seed replays the same fuzzing decisions on every .NET version.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A seed for a sub-generator (e.g. engine <paramref name="index"/> of a run), independent of this one's stream.</summary>
    public static ulong Derive(ulong seed, ulong index)
    {
        var x = seed ^ (0x9E3779B97F4A7C15UL * (index + 1));
        return SplitMix(ref x);
    }

    /// <summary>Makes <paramref name="other"/> draw what this one will draw next (for looking ahead without drawing).</summary>
    public void CopyTo(Rng other)
    {
        other._s0 = _s0;
        other._s1 = _s1;
        other._s2 = _s2;
        other._s3 = _s3;
    }

    public ulong NextULong()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, n); n must be positive.</summary>
    public int Next(int n) => (int)((NextULong() >> 32) * (ulong)(uint)n >> 32);

    /// <summary>Uniform in [lo, hi].</summary>
    public int Between(int lo, int hi) => lo + Next(hi - lo + 1);

    /// <summary>True with probability 1/n.</summary>
    public bool OneIn(int n) => Next(n) == 0;

    /// <summary>True with probability percent/100.</summary>
    public bool Percent(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public T Pick<T>(ReadOnlySpan<T> items) => items[Next(items.Length)];

    /// <summary>Index drawn with probability proportional to its weight; weights must not all be zero.</summary>
    public int PickWeighted(ReadOnlySpan<int> weights)
    {
        var total = 0;
        foreach (var w in weights)
        {
            total += w;
        }
        return PickWeighted(weights, total);
    }

    /// <summary>The same draw for a caller that summed the weights already (<paramref name="total"/>, positive).</summary>
    public int PickWeighted(ReadOnlySpan<int> weights, int total)
    {
        var r = Next(total);
        for (var i = 0; i < weights.Length; i++)
        {
            r -= weights[i];
            if (r < 0)
            {
                return i;
            }
        }
        return weights.Length - 1;
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
