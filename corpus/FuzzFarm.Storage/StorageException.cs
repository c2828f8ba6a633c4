namespace FuzzFarm.Storage;

/// <summary>
/// A storage failure worth one clear line to the user: a bad connection string, an unreachable server, a schema that
/// does not match. <see cref="InvalidInput"/> marks the user's own mistake (exit 2), the rest are environment failures.
/// The message never contains the password.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(string message, bool invalidInput = false, Exception? inner = null)
        : base(message, inner) => InvalidInput = invalidInput;

    public bool InvalidInput { get; }

    /// <summary>An exception message flattened to one line, for messages built from a server's or a socket's text.</summary>
    internal static string OneLine(Exception e) =>
        string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
