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
            var comparison = output.Ran ? Compare(output, program, predict) : null;
            results.Add(new RealProgramResult(name, program, output, comparison));
        }
        return results;
    }

    /// <summary>A machine that throws on a valid program is a finding too: it becomes the program's disagreement.</summary>
    private static Comparison Compare(RealOutput output, Program program, Func<Program, Prediction> predict)
    {
        Prediction prediction;
        try
        {
            prediction = predict(program);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var at = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
            return new Comparison(0, [new Disagreement(0, "-", $"ran ({output.Observations.Count} observations)", $"threw {e.GetType().Name}: {e.Message} {at}")], []);
        }
        return Differential.Compare(output, prediction);
    }
}
