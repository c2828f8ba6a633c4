namespace FuzzFarm.Silo.Commands;

/// <summary>
/// Invalid input to replay, bisect or profiles, already worded as the one line users see. Unlike
/// <see cref="UsageException"/> (message plus a usage line), it keeps every error of these commands on one line.
/// </summary>
internal sealed class InvalidInputException(string line) : Exception(line);
