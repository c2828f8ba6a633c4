using FuzzFarm.Machine;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// A batch counts every violation its executions showed, by kind: monitoring plots that rate, and a bug the engine
/// already reported keeps counting each time a program shows it again.
/// </summary>
public class ViolationCountTests
{
    [Fact]
    public void BatchesCountEveryViolationByKindNotOnlyNewSignatures()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.7"), 1);
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        engine.ViolationSeen = (_, v) => seen[v.KindName] = seen.GetValueOrDefault(v.KindName) + 1;
        var counted = new Dictionary<string, long>(StringComparer.Ordinal);
        var findings = 0;
        for (var i = 0; i < 4; i++)
        {
            var batch = engine.RunBatch(5000);
            findings += batch.Findings.Count + batch.Shorter.Count;
            foreach (var c in batch.Violations)
            {
                Assert.True(c.Count > 0, $"{c.Kind} listed with count {c.Count}");
                counted[c.Kind] = counted.GetValueOrDefault(c.Kind) + c.Count;
            }
        }
        Assert.Equal(seen.OrderBy(kv => kv.Key), counted.OrderBy(kv => kv.Key));
        Assert.Equal(seen.Values.Sum(), engine.ViolationsSeen);
        // v5.7 shows its bugs again and again: far more violations than reports of them.
        Assert.True(engine.ViolationsSeen > 10 * findings, $"{engine.ViolationsSeen} violations, {findings} findings");
    }
}
