namespace FuzzFarm.Grains;

/// <summary>Each machine's fuzzing seed, derived from the campaign's seed so a campaign replays machine for machine.</summary>
public static class MachineSeeds
{
    public static ulong For(ulong campaignSeed, int index)
    {
        // SplitMix64 finaliser: neighbouring indexes get unrelated seeds.
        var z = campaignSeed + (0x9E3779B97F4A7C15UL * (ulong)(index + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
