using System.Text;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.AflHarness;

/// <summary>
/// Robustness target: any text either fails with a located <see cref="ProgramException"/> or parses into a program
/// whose canonical print parses back to the same print, and which replays (with the trace a triager reads) on every
/// named profile. Any other exception escapes and AFL++ records it as a crash.
/// </summary>
internal sealed class ParserTarget
{
    private readonly Executor _executor = new(new ExecutionOptions { Trace = true });

    public void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (!ProgramParser.TryParse(text, out var program, out var error))
        {
            CheckLocated(text, error);
            return;
        }
        var printed = ProgramPrinter.Print(program);
        if (!ProgramParser.TryParse(printed, out var reparsed, out var reprintError))
        {
            throw new RobustnessException($"the canonical print does not parse: {reprintError.Format(null)}\n{printed}");
        }
        var again = ProgramPrinter.Print(reparsed);
        if (again != printed)
        {
            throw new RobustnessException($"printing is not canonical:\n{printed}\nprinted again as:\n{again}");
        }
        foreach (var profile in KernelProfile.Named)
        {
            _executor.Run(program, profile);
        }
    }

    /// <summary>An error must point into the text: a line that exists (or the one after the last) and a column from 1.</summary>
    private static void CheckLocated(string text, ProgramException error)
    {
        var lines = text.Count(c => c == '\n') + 1;
        if (error.Line < 1 || error.Line > lines + 1 || error.Column < 1)
        {
            throw new RobustnessException($"error outside the text ({lines} lines): {error.Format(null)}");
        }
    }
}
