using FuzzFarm.Machine;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// A program the machine throws on is a simulator bug: the engine skips it and goes on, and its batch hands the
/// error over once per throw site, so that the farm logs and counts it instead of losing it. The machine is not
/// expected to throw, so these tests make it throw on every program that forks.
/// </summary>
public class MachineErrorTests
{
    private static readonly FuzzOptions ThrowsOnFork = new()
    {
        BeforeExecute = program =>
        {
            if (program.Statements.Any(s => s.Op == Op.Fork))
            {
                throw new InvalidOperationException("fork is broken in this test");
            }
        },
    };

    [Fact]
    public void A_throw_site_is_reported_in_the_batch_that_first_met_it_and_the_engine_goes_on()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.9"), 5, ThrowsOnFork);

        var first = engine.RunBatch(3000);
        var second = engine.RunBatch(3000);

        var error = Assert.Single(first.MachineErrors);
        Assert.Equal("InvalidOperationException", error.Exception);
        Assert.Equal("fork is broken in this test", error.Message);
        Assert.Equal("v5.9", error.Profile);
        Assert.Contains("fork()", error.ProgramText, StringComparison.Ordinal);
        // Met again in the second batch, but already handed over.
        Assert.Empty(second.MachineErrors);
        Assert.Single(engine.MachineErrors);
        Assert.True(engine.Executions >= 6000);
        Assert.NotEqual(0, engine.CorpusSize);
        Assert.DoesNotContain(engine.CorpusPrograms, p => p.Statements.Any(s => s.Op == Op.Fork));
    }

    [Fact]
    public void A_session_lists_each_throw_site_once_over_all_its_engines()
    {
        var result = FuzzSession.Run(
            new FuzzSessionOptions(KernelProfile.Parse("v5.9"), 2) { Jobs = 2, MaxExecutions = 8000, Engine = ThrowsOnFork },
            null, CancellationToken.None);

        var error = Assert.Single(result.MachineErrors);
        Assert.Equal("InvalidOperationException", error.Exception);
    }

    [Fact]
    public void Batches_count_the_mutants_the_validator_rejected()
    {
        var engine = new FuzzEngine(KernelProfile.Parse("v5.9"), 5);

        var rejected = Enumerable.Range(0, 4).Sum(_ => engine.RunBatch(5000).RejectedMutants);

        Assert.Equal(engine.RejectedMutants, rejected);
        // About 6% of mutants are rejected once mutation starts (after the 4,000-execution warm-up).
        Assert.InRange(rejected, 100, 5000);
    }
}
