namespace FuzzFarm.Programs;

/// <summary>Lexical rules for names, shared by the parser and the validator so every valid program prints parseably.</summary>
internal static class Names
{
    public static bool IsStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    public static bool IsPart(char c) => IsStart(c) || char.IsAsciiDigit(c);

    public static bool IsIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || !IsStart(name[0]))
        {
            return false;
        }
        for (var i = 1; i < name.Length; i++)
        {
            if (!IsPart(name[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary><c>t&lt;digits&gt;</c>: the names only fork and thread may bind.</summary>
    public static bool IsThreadName(string name)
    {
        if (name.Length < 2 || name[0] != 't')
        {
            return false;
        }
        for (var i = 1; i < name.Length; i++)
        {
            if (!char.IsAsciiDigit(name[i]))
            {
                return false;
            }
        }
        return true;
    }
}
