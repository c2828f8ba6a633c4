using FuzzFarm.Machine;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// A batch counts every violation its executions showed, by signature with its kind: monitoring plots that rate, and a
/// bug the engine already reported keeps counting each time a program shows it again.
/// </summary>
public class ViolationCountTests
{
    [Fact]
    public void BatchesCountEveryViolationBySignatureNotOnlyNewSignatures()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.7"), 1);
        var seen = new Dictionary<(string, string), long>();
        engine.ViolationSeen = (_, v) => seen[(v.KindName, v.Signature)] = seen.GetValueOrDefault((v.KindName, v.Signature)) + 1;
        var counted = new Dictionary<(string, string), long>();
        var findings = 0;
        for (var i = 0; i < 4; i++)
        {
            var batch = engine.RunBatch(5000);
            findings += batch.Findings.Count + batch.Shorter.Count;
            Assert.Equal(batch.Violations.Count, batch.Violations.Select(c => c.Signature).Distinct().Count());
            foreach (var c in batch.Violations)
            {
                Assert.True(c.Count > 0, $"{c.Signature} listed with count {c.Count}");
                counted[(c.Kind, c.Signature)] = counted.GetValueOrDefault((c.Kind, c.Signature)) + c.Count;
            }
        }
        Assert.Equal(seen.OrderBy(kv => kv.Key), counted.OrderBy(kv => kv.Key));
        Assert.Equal(seen.Values.Sum(), engine.ViolationsSeen);
        Assert.True(seen.Count > 3, $"only {seen.Count} signatures in 20,000 executions on v5.7");
        // v5.7 shows its bugs again and again: far more violations than reports of them.
        Assert.True(engine.ViolationsSeen > 5 * findings, $"{engine.ViolationsSeen} violations, {findings} findings");
    }
}
