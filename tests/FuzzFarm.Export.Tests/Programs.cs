using FuzzFarm.Programs;

namespace FuzzFarm.Export.Tests;

internal static class Programs
{
    /// <summary>Parses program text written in a test, one statement per line.</summary>
    public static Program Parse(params string[] lines) => ProgramParser.Parse(string.Join('\n', lines) + "\n");
}
