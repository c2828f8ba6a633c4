namespace FuzzFarm.Fuzzing;

/// <summary>
/// The simulated machine threw on a program: a bug in the machine, not a violation of the kernel under test. The
/// engine records the first program per throw site and carries on with a fresh executor.
/// </summary>
public sealed record MachineError(string Site, string Exception, string Message, string ProgramText, string Profile)
{
    internal static MachineError From(Exception e, string programText, string profile)
    {
        var trace = e.StackTrace ?? "";
        var firstFrame = trace.Split('\n', 2)[0].Trim();
        return new MachineError(firstFrame, e.GetType().Name, e.Message, programText, profile);
    }

    /// <summary>De-duplication key: the exception type and where it was thrown.</summary>
    public string Key => $"{Exception} {Site}";
}
