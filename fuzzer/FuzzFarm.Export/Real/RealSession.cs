using FuzzFarm.Programs;

namespace FuzzFarm.Export.Real;

/// <summary>One program's differential run: skipped (the kernel refused a feature) or compared with the machine.</summary>
public sealed record RealProgramResult(string Name, Program Program, RealOutput Output, Comparison? Comparison)
{
    public bool Skipped => !Output.Ran;
}

/// <summary>
/// Exports, compiles (in parallel, cached), runs each program on this machine's kernel, one at a time so runs do not
/// disturb each other, and compares each run with the machine's prediction.
/// </summary>
public static class RealSession
{
    public static IReadOnlyList<RealProgramResult> Run(
        IReadOnlyList<(string Name, Program Program)> programs, Func<Program, Prediction> predict, GccBuilder gcc)
    {
        ArgumentNullException.ThrowIfNull(programs);
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentNullException.ThrowIfNull(gcc);
        var binaries = gcc.BuildAll([.. programs.Select(p => CExporter.Export(p.Program))]);
        var results = new List<RealProgramResult>(programs.Count);
        for (var i = 0; i < programs.Count; i++)
        {
            var (name, program) = programs[i];
            var output = RealRunner.Run(binaries[i]);
            var comparison = output.Ran ? Differential.Compare(output, predict(program)) : null;
            results.Add(new RealProgramResult(name, program, output, comparison));
        }
        return results;
    }
}
