namespace FuzzFarm.Silo.Commands;

/// <summary>Bad command-line input: reported on one line with the command's usage, exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);
