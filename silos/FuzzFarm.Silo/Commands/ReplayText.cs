using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using FfProgram = FuzzFarm.Programs.Program;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// Human form of a replay: the verdict, each violation with its signature and detail, what each observing line saw,
/// the skipped lines; with <c>--trace</c>, every line of the program followed by its kernel decisions, indented.
/// </summary>
public static class ReplayText
{
    public static void Write(TextWriter output, string file, FfProgram program, KernelProfile profile, ExecutionResult result, bool trace)
    {
        var verdict = result.Verdict == Verdict.Violation ? "violation" : "ok";
        output.WriteLine($"{file} on {profile.Name}: {verdict}");
        foreach (var v in result.Violations)
        {
            output.WriteLine($"  line {v.Line} {v.Thread}: {v.Signature}");
            output.WriteLine($"    {v.Detail}");
        }
        if (trace)
        {
            WriteTrace(output, program, result);
        }
        if (result.Observations.Count > 0)
        {
            output.WriteLine("observations:");
            foreach (var o in result.Observations)
            {
                output.WriteLine($"  line {o.Line} {o.Thread} {o.Op}: {string.Join(", ", o.Values)}");
            }
        }
        if (result.Skipped.Count > 0)
        {
            output.WriteLine("skipped:");
            foreach (var s in result.Skipped)
            {
                output.WriteLine($"  line {s.Line} {s.Thread}: {s.Reason}");
            }
        }
    }

    private static void WriteTrace(TextWriter output, FfProgram program, ExecutionResult result)
    {
        var byLine = program.Statements.ToDictionary(s => s.Line);
        output.WriteLine("trace:");
        foreach (var t in result.Trace ?? [])
        {
            var source = byLine.TryGetValue(t.Line, out var st) ? ProgramPrinter.Print(st) : $"{t.Thread}: {t.Op}";
            output.WriteLine($"  {t.Line,3}  {source}");
            foreach (var e in t.Events)
            {
                output.WriteLine($"         {e}");
            }
        }
    }
}
