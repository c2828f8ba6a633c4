namespace FuzzFarm.Programs;

/// <summary>A parse or validation error at a source position. Message says what was expected.</summary>
public sealed class ProgramException : Exception
{
    public ProgramException(int line, int column, string message)
        : base(message)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The one-line form users see: <c>file:line:column: message</c>.</summary>
    public string Format(string? file) => $"{(file is null ? "" : file + ":")}{Line}:{Column}: {Message}";
}
