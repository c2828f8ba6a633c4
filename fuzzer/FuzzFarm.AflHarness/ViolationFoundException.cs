using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.AflHarness;

/// <summary>Thrown to make AFL++ record a crash: the decoded program violated the oracle.</summary>
public sealed class ViolationFoundException(string profile, Violation violation, Program program)
    : Exception($"{violation.KindName} on {profile} at line {violation.Line} ({violation.Signature}):\n{ProgramPrinter.Print(program)}")
{
    public Violation Violation => violation;
}
