using FuzzFarm.Machine;
using Xunit;

namespace FuzzFarm.AflHarness.Tests;

public class MachineTargetTests
{
    [Fact]
    public void TheScenarioCrashesTheHarnessOnlyWhereTheKernelHadTheBug()
    {
        var error = Assert.Throws<ViolationFoundException>(() => new MachineTarget(KernelProfile.Parse("v5.7"), null).Run(Scenario.S1Bytes));
        Assert.Equal("cross-process-visibility", error.Violation.KindName);
        new MachineTarget(KernelProfile.Parse("v5.8"), null).Run(Scenario.S1Bytes);
        new MachineTarget(KernelProfile.Parse("latest"), null).Run(Scenario.S1Bytes);
    }

    [Fact]
    public void WithASignatureOnlyThatSignatureCrashes()
    {
        var profile = KernelProfile.Parse("v5.7");
        var error = Assert.Throws<ViolationFoundException>(() => new MachineTarget(profile, null).Run(Scenario.S1Bytes));
        Assert.Throws<ViolationFoundException>(() => new MachineTarget(profile, error.Violation.Signature).Run(Scenario.S1Bytes));
        new MachineTarget(profile, "lost-write in nowhere: no rule [base]").Run(Scenario.S1Bytes);
    }
}
