using FuzzFarm.Programs;
using FuzzFarm.Silo.Commands;
using FfProgram = FuzzFarm.Programs.Program;

namespace FuzzFarm.Silo.Farm;

/// <summary>
/// A corpus on disk: one program per <c>*.ff</c> file, named by a hash of its canonical text, so that saving twice or
/// merging folders never duplicates an input. <c>fuzz --corpus</c>, <c>run --corpus</c>, <c>campaign start --corpus</c>
/// and <c>corpus export</c> share it.
/// </summary>
internal static class CorpusFolder
{
    /// <summary>The folder's programs in file-name order; null after writing the first invalid one's error (FILE:line:column).</summary>
    public static List<FfProgram>? Load(string dir, TextWriter errors)
    {
        var programs = new List<FfProgram>();
        foreach (var file in Directory.GetFiles(dir, "*.ff").Order(StringComparer.Ordinal))
        {
            if (!ProgramParser.TryParse(File.ReadAllText(file), out var program, out var error))
            {
                errors.WriteLine(error.Format(file));
                return null;
            }
            programs.Add(program);
        }
        return programs;
    }

    /// <summary>
    /// Reads the folder given to <c>--corpus</c> to seed a campaign (<paramref name="programs"/> is null when the option
    /// is absent). Read before anything starts, so a bad file stops the command with nothing stored: false then, and
    /// its error (FILE:line:column) has been written.
    /// </summary>
    public static bool TryReadSeeds(string? dir, TextWriter errors, out List<FfProgram>? programs)
    {
        programs = null;
        if (dir is null)
        {
            return true;
        }
        if (!Directory.Exists(dir))
        {
            throw new UsageException($"--corpus {dir}: no such folder");
        }
        programs = Load(dir, errors);
        return programs is not null;
    }

    /// <summary>Writes each program text (canonical, as <see cref="ProgramPrinter"/> prints) to its own file.</summary>
    public static void Save(string dir, IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            File.WriteAllText(Path.Combine(dir, FileName(text)), text);
        }
    }

    /// <summary>The file a program text is saved to: <see cref="TextHash.Hex16"/> of the text, <c>.ff</c>.</summary>
    public static string FileName(string text) => TextHash.Hex16(text) + ".ff";
}
