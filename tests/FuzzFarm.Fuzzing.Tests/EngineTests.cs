using FuzzFarm.Machine;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class EngineTests
{
    private static string Summary(FuzzEngine e, IEnumerable<BatchResult> batches) =>
        $"{e.Executions} {e.CorpusSize} {e.CoverageFeatures} "
        + string.Join(";", e.FirstSeen.Select(kv => $"{kv.Key}@{kv.Value}"))
        + string.Join("|", batches.SelectMany(b => b.NewInputs.Select(i => i.ProgramText)));

    [Fact]
    public void SameSeedGivesTheSameRun()
    {
        var profile = KernelProfile.Parse("v5.9");
        string Run(ulong seed)
        {
            var engine = new FuzzEngine(profile, seed);
            var batches = Enumerable.Range(0, 10).Select(_ => engine.RunBatch(2000)).ToList();
            return Summary(engine, batches);
        }
        var a = Run(7);
        Assert.Equal(a, Run(7));
        Assert.NotEqual(a, Run(8));
    }

    [Fact]
    public void CoverageGrowsAndTheCorpusKeepsOnlyInputsThatAddedIt()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.9"), 3);
        var first = engine.RunBatch(2000);
        Assert.NotEmpty(first.NewInputs);
        Assert.All(first.NewInputs, i => Assert.True(i.NewFeatures > 0));
        var coverage = engine.CoverageFeatures;
        engine.RunBatch(20000);
        Assert.True(engine.CoverageFeatures > coverage, $"coverage stayed at {coverage}");
        // A batch runs at least what it is asked; shrinking a new input adds its own executions.
        Assert.InRange(engine.Executions, 22000, 22000 + 100);
    }

    [Fact]
    public void SignaturesListsTheFindsInOrderButNotWhatExternalInputsShowed()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.7"), 2);
        // The seed violates on v5.7: seen on an external input, it is in FirstSeen but was never reported as a find.
        var seed = Seeds.Named("s2-vmsplice-thp").Program;
        engine.AddExternalInput(seed);
        Assert.NotEmpty(engine.FirstSeen);
        Assert.Empty(engine.Signatures);
        var found = Enumerable.Range(0, 3).SelectMany(_ => engine.RunBatch(4000).Findings).Select(f => f.Signature).ToList();
        Assert.NotEmpty(found);
        Assert.Equal(found, engine.Signatures);
    }

    [Fact]
    public void ExternalInputIsKeptOnlyWhenItAddsCoverage()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.7"), 1);
        var seed = Seeds.Named("s2-vmsplice-thp").Program;
        Assert.True(engine.AddExternalInput(seed));
        Assert.False(engine.AddExternalInput(seed));
        Assert.Equal(1, engine.CorpusSize);
        Assert.Equal(2, engine.Executions);
    }

    [Fact]
    public void BlindBaselineKeepsNoCorpus()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.9"), 1, FuzzOptions.Blind);
        var batch = engine.RunBatch(3000);
        Assert.Empty(batch.NewInputs);
        Assert.Equal(0, engine.CorpusSize);
        Assert.True(engine.CoverageFeatures > 0);
    }

    [Fact]
    public void FindingsNameTheViolatingLineOfTheirPrintedProgram()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.9"), 2);
        var findings = Enumerable.Range(0, 20).SelectMany(_ => engine.RunBatch(5000).Findings).ToList();
        Assert.NotEmpty(findings);
        foreach (var f in findings)
        {
            var program = ProgramParser.Parse(f.ProgramText);
            var replay = new FuzzFarm.Oracle.Executor().Run(program, KernelProfile.Parse("v5.9"));
            Assert.Contains(replay.Violations, v => v.Signature == f.Signature && v.Line == f.Line);
        }
    }

    [Fact]
    public void EveryViolationIsSeenNotOnlyFirstSightings()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.9"), 2);
        var seen = new List<(string Program, string Signature)>();
        engine.ViolationSeen = (program, v) => seen.Add((ProgramPrinter.Print(program), v.Signature));
        var findings = Enumerable.Range(0, 20).SelectMany(_ => engine.RunBatch(5000).Findings).ToList();
        Assert.NotEmpty(findings);
        Assert.All(findings, f => Assert.Contains((f.ProgramText, f.Signature), seen));
        // Later programs with a known signature are seen too.
        Assert.True(seen.Count > findings.Count, $"{seen.Count} violations seen, {findings.Count} findings");
    }

    [Fact]
    public void SessionWithTwoJobsIsDeterministicForAnExecutionLimit()
    {
        string Run()
        {
            var options = new FuzzSessionOptions(KernelProfile.Parse("v5.9"), 4) { Jobs = 2, MaxExecutions = 40_000, RoundExecutions = 5000 };
            var r = FuzzSession.Run(options, null, CancellationToken.None);
            // Each engine stops at its half, counting the inputs it took from the other; a check of a new input may
            // run one more.
            Assert.InRange(r.Executions, 40_000, 40_002);
            return $"{r.Executions} {r.CoverageFeatures} {r.Corpus.Count} "
                + string.Join(";", r.Findings.Select(f => $"{f.Finding.Signature}@{f.Execution}/{f.Engine}"));
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void SessionCorpusOfTwoJobsReachesEveryFeatureEitherEngineCovered()
    {
        var profile = KernelProfile.Parse("v5.9");
        // One round each, so the engines share nothing; engine 0 of two is the one engine of a one-job run.
        FuzzSessionResult Run(int jobs) => FuzzSession.Run(
            new FuzzSessionOptions(profile, 6) { Jobs = jobs, MaxExecutions = jobs * 8000, RoundExecutions = 8000 }, null, CancellationToken.None);
        var alone = Run(1);
        var both = Run(2);
        Assert.True(both.CoverageFeatures > alone.CoverageFeatures, $"two engines {both.CoverageFeatures}, engine 0 {alone.CoverageFeatures}");
        var resumed = new FuzzEngine(profile, 1);
        foreach (var program in both.Corpus)
        {
            resumed.AddExternalInput(program);
        }
        Assert.Equal(both.CoverageFeatures, resumed.CoverageFeatures);
        Assert.Equal(both.Corpus.Count, both.Corpus.Select(ProgramPrinter.Print).Distinct().Count());
    }
}
