using FuzzFarm.Programs;

namespace FuzzFarm.Export;

/// <summary>Reads and parses a program file for the export commands, with the one-line error users see.</summary>
public static class ProgramFile
{
    public static bool TryLoad(string path, out Program? program, out string error)
    {
        program = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{path}: cannot read: {e.Message}";
            return false;
        }
        if (!ProgramParser.TryParse(text, out program, out var parseError))
        {
            error = parseError.Format(path);
            return false;
        }
        error = "";
        return true;
    }
}
