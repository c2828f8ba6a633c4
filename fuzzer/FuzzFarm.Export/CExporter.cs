using FuzzFarm.Export.Emit;
using FuzzFarm.Export.Reference;
using FuzzFarm.Programs;

namespace FuzzFarm.Export;

/// <summary>
/// Exports a program as a self-contained C program that runs its operations as real system calls on the running
/// kernel and checks every observation against the oracle's reference model (issue 8).
/// </summary>
public static class CExporter
{
    /// <summary>The C source. Throws <see cref="ExportException"/> when the program cannot be expressed from user space.</summary>
    public static string Export(Program program) => Prepare(program).Source;

    /// <summary>The C source and the kernel features it needs (the C program prints SKIP when one is missing).</summary>
    public static ExportedProgram Prepare(Program program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (program.Statements.Length == 0)
        {
            throw new ExportException(1, "the program has no statement");
        }
        var plan = ReferenceModel.Run(program);
        return new ExportedProgram(CWriter.Write(plan), plan.Needs, plan.SkippedLines);
    }

    public static bool TryPrepare(Program program, out ExportedProgram? exported, out ExportException? error)
    {
        try
        {
            exported = Prepare(program);
            error = null;
            return true;
        }
        catch (ExportException e)
        {
            exported = null;
            error = e;
            return false;
        }
    }
}

/// <summary>An exported program: its C source, the kernel features it needs, the lines it skips.</summary>
public sealed record ExportedProgram(string Source, Features Needs, IReadOnlyList<int> SkippedLines);
