namespace FuzzFarm.Export;

/// <summary>
/// The program cannot be exported to C: <see cref="Line"/> names the statement, the message says why (an op user space
/// cannot express, an access the real kernel would kill the process for, a resource another process does not hold …).
/// </summary>
public sealed class ExportException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;

    /// <summary>The one-line form users see: <c>file:line: cannot export: message</c>.</summary>
    public string Format(string? file) => $"{(file is null ? "" : file + ":")}{Line}: cannot export: {Message}";
}
