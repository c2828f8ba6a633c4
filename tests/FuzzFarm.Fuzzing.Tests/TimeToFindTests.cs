using FuzzFarm.Machine;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// From an empty corpus, the fuzzer finds the two easiest seed scenarios' signatures on their profiles within a small
/// fixed budget (the full table, with medians over seeds and the blind baseline, is the time-to-find benchmark).
/// </summary>
public class TimeToFindTests
{
    public const int Budget = 300_000;

    [Theory]
    [InlineData("pin-mprotect-rewrite")]
    [InlineData("ro-longterm-pin-zeropage")]
    public void FindsTheScenarioFromAnEmptyCorpus(string seedName)
    {
        var seed = Seeds.Named(seedName);
        Assert.NotEmpty(seed.Signature);
        var profile = KernelProfile.Parse(seed.Violates[0]);
        var engine = new FuzzEngine(profile, 1);
        while (engine.Executions < Budget && !engine.FirstSeen.ContainsKey(seed.Signature))
        {
            engine.RunBatch(1000);
        }
        Assert.True(engine.FirstSeen.ContainsKey(seed.Signature),
            $"'{seed.Signature}' not found on {profile.Name} in {Budget} executions; found: {string.Join(", ", engine.FirstSeen.Keys)}");
    }
}
